"""Demo rules and education: a Japanese prompt guideline, an AI literacy course and ten prompt
templates from the portal's typical marketing use cases. Idempotent (matched by key and title); created through
the services, so the audit trail shows them like any other change."""

import datetime

from django.db.models import F
from django.utils import timezone

from governance.education import services
from governance.education.choices import PolicyKind, PromptStatus
from governance.models import PolicyDocument, PromptTemplate, TrainingCompletion, TrainingCourse

GUIDELINE_JA = """# 生成AIプロンプトガイドライン

生成AIを業務で使うすべての人が守るルールです。迷ったら情報システム部に相談してください。

## 入力してよい情報
- **公開情報・社内情報**: 承認済みのツールであれば入力してかまいません。
- **機密情報**: データ分類マトリクスで許可されたモデル（自社運用のオープンモデルなど）だけに入力します。
- **個人情報**（顧客の氏名・連絡先・購買履歴など）: 承認されたユースケース以外では入力しません。

## 出力の扱い
1. 事実・数値・固有名詞は必ず一次情報で確認します（ファクトチェック）。
2. 顧客に見せる文章は、公開前に担当者が最終確認します。
3. 偏見や差別的な表現がないかを確認します。
4. AIで作成したことを、必要に応じて相手に説明します。

## プロンプトの書き方
- 目的・読み手・文体・文字数を最初に書きます。
- 良い例は[プロンプトライブラリ](/governance/prompts/)に登録し、チームで共有します。
"""

GUIDELINE_EN = """# Generative AI prompt guideline

Rules for everyone who uses generative AI at work. When in doubt, ask the IT department.

## What you may enter
- **Public and internal information**: in approved tools.
- **Confidential information**: only in models the classification matrix allows (e.g. our self-hosted open models).
- **Personal data** (customers' names, contacts, purchase history): only in approved use cases.

## What comes out
1. Check facts, figures and names against the source.
2. A person checks text for customers before it is published.
3. Check for bias and discriminatory wording.
4. Tell people that AI helped, where it matters to them.

## Writing prompts
- Start with the purpose, the reader, the tone and the length.
- Share good prompts in the [prompt library](/governance/prompts/).
"""

# title, category, style, body, example output
PROMPTS = [
    (
        "広告コピーの案出し",
        "creative",
        "closed",
        "あなたは広告コピーライターです。{{商品名}}の特長「{{特長}}」を、{{ターゲット}}向けに伝える広告コピーを"
        "{{本数}}案、各30文字以内で書いてください。誇大表現は避けてください。",
        "1. 毎朝の一杯が、仕事の集中力に変わる。",
    ),
    (
        "バナー文言のバリエーション",
        "creative",
        "either",
        "次のバナーの見出しを、トーンを変えて5パターン作ってください。\n元の見出し: {{見出し}}\n"
        "トーン: 親しみやすい／信頼感／限定感／数字で訴求／問いかけ",
        "信頼感: 導入企業300社が選んだ安心のサポート",
    ),
    (
        "ランディングページの構成案",
        "creative",
        "closed",
        "{{商品名}}のランディングページの構成案を、見出しと各セクションの要点で作ってください。"
        "目的は{{目的}}、読み手は{{読み手}}です。",
        "1. ファーストビュー: 課題の提示と解決の一言",
    ),
    (
        "SEO記事の構成案",
        "content_seo",
        "closed",
        "キーワード「{{キーワード}}」で検索する人の意図を3つ挙げ、それに答える記事の見出し構成（H2/H3）を"
        "作ってください。想定読者: {{読者}}。",
        "H2 {{キーワード}}とは / H3 よくある誤解",
    ),
    (
        "関連キーワードの洗い出し",
        "content_seo",
        "closed",
        "「{{テーマ}}」に関連する検索キーワードを、情報収集・比較検討・購入の段階別に10個ずつ挙げてください。",
        "比較検討: 〇〇 料金 比較、〇〇 評判",
    ),
    (
        "社内技術資料からFAQを作る",
        "content_seo",
        "open",
        "以下の社内資料をもとに、顧客からよく来る質問と回答を5組作ってください。資料にないことは書かないでください。\n"
        "資料: {{資料本文}}",
        "Q. 設定を初期化するには？ A. 管理画面の〔設定〕→〔初期化〕から…",
    ),
    (
        "問い合わせへの回答下書き",
        "sales_support",
        "either",
        "次の問い合わせへの回答の下書きを、丁寧な敬語で作ってください。分からない点は「確認します」と書き、"
        "推測で答えないでください。\n問い合わせ: {{問い合わせ内容}}",
        "お問い合わせいただきありがとうございます。ご質問の件について…",
    ),
    (
        "営業フォローメールの下書き",
        "sales_support",
        "closed",
        "{{顧客名}}様との商談（議題: {{議題}}）のお礼と次のステップを伝えるメールを、200字程度で書いてください。",
        "本日はお忙しいところお時間をいただき、ありがとうございました。",
    ),
    (
        "コンバージョン増減の要因コメント",
        "analytics",
        "closed",
        "次の指標の推移を読み、コンバージョンが増減した要因の仮説を3つ、確かめ方とあわせて書いてください。\n"
        "データ: {{指標データ}}",
        "仮説1: 広告の配信面の変更（確認: 配信面別のCVR）",
    ),
    (
        "取締役会資料の初稿",
        "analytics",
        "either",
        "以下の月次実績から、取締役会向けの要約（結論・要因・次の打ち手）をA4一枚分で作ってください。\n"
        "実績: {{月次実績}}",
        "結論: 売上は計画比102%。要因は新規顧客の増加…",
    ),
]


def seed_education(users):
    """Create the demo rules, course and prompts (once). ``users``: the demo users by username."""
    admin, reviewer, requester, sales = users["admin"], users["reviewer"], users["requester"], users["sales"]
    today = timezone.localdate()
    guideline = PolicyDocument.objects.filter(key="prompt-guidelines").first()
    if guideline is None:
        guideline = services.save_policy_document(
            admin,
            {
                "key": "prompt-guidelines",
                "kind": PolicyKind.PROMPT_GUIDELINES,
                "title_ja": "生成AIプロンプトガイドライン",
                "title_en": "Generative AI prompt guideline",
                "all_staff": True,
                "requires_acknowledgement": True,
                "acknowledge_within_days": 14,
                "is_active": True,
            },
        )
        version = services.save_draft_version(guideline, admin, GUIDELINE_JA, GUIDELINE_EN, "初版 / first version")
        version = services.publish_version(version, admin)
        for user in (admin, reviewer):  # the requester still has it to acknowledge
            services.acknowledge(version, user)
    course = TrainingCourse.objects.filter(key="ai-literacy").first()
    if course is None:
        course = services.save_course(
            admin,
            {
                "key": "ai-literacy",
                "title_ja": "AIリテラシー研修",
                "title_en": "AI literacy",
                "description_ja": "生成AIの仕組み、得意・不得意、情報漏えいと著作権のリスク、EU AI法と"
                "AI事業者ガイドラインの要点を学ぶ60分の研修です。",
                "description_en": "Sixty minutes on how generative AI works, what it does well and badly, "
                "data-leak and copyright risks, and the essentials of the EU AI Act and Japan's AI Guidelines.",
                "validity_months": 12,
                "required": True,
                "all_staff": True,
                "is_active": True,
            },
        )
        for person, days_ago in ((requester, 40), (reviewer, 345), (admin, 200)):  # reviewer: expiring soon
            services.record_completion(
                course, admin, person=person, completed_on=today - datetime.timedelta(days=days_ago), note="デモ"
            )
    if not PromptTemplate.objects.exists():
        for index, (title, category, style, body, example) in enumerate(PROMPTS):
            owner = requester if index % 2 == 0 else sales
            prompt = services.create_prompt(
                owner,
                {"title": title, "category": category, "style": style, "body": body, "example_output": example},
            )
            if index < len(PROMPTS) - 1:  # the last one waits for a reviewer
                services.decide_prompt(prompt, reviewer, "approve")
                PromptTemplate.objects.filter(pk=prompt.pk, status=PromptStatus.APPROVED).update(
                    usage_count=F("usage_count") + (len(PROMPTS) - index) * 3
                )
    return {
        "policies": PolicyDocument.objects.count(),
        "courses": TrainingCourse.objects.count(),
        "completions": TrainingCompletion.objects.count(),
        "prompts": PromptTemplate.objects.count(),
    }
