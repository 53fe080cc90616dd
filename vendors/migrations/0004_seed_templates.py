"""The seed questionnaire templates of QUESTION_BANK.md, each with a published version 1.

Idempotent: a template whose ``key`` already exists is left alone (templates are edited
through new versions afterwards, never by re-running this migration).

Question defaults (applied by ``seed``): required True, weight 3, no options, no knockout
values, no evidence required, empty help texts.
"""

from django.db import migrations
from django.utils import timezone


def yes_no(yes=1.0, no=0.0):
    return [
        {"value": "yes", "ja": "はい", "en": "Yes", "points": yes},
        {"value": "no", "ja": "いいえ", "en": "No", "points": no},
    ]


CORE_HELP_JA = "重要4項目の一つです。"
CORE_HELP_EN = "One of the four core questions."

GENAI_VENDOR_ASSESSMENT = {
    "key": "genai-vendor-assessment",
    "name_ja": "生成AIベンダー評価",
    "name_en": "Generative AI vendor assessment",
    "audience": "vendor",
    "sections": [
        {
            "title_ja": "データの利用と保持",
            "title_en": "Data use and retention",
            "questions": [
                {
                    "text_ja": "当社のどのデータ（プロンプト、出力、ファイル、ログ、テレメトリ）を、どこに、どのくらいの期間保存しますか。",
                    "text_en": "Which of our data do you store (prompts, outputs, files, logs, telemetry), where, and for how long?",
                    "help_ja": CORE_HELP_JA
                    + "データの種類ごとに保存場所と保存期間をご記入のうえ、データ保持ポリシーなどの根拠資料を添付してください。",
                    "help_en": CORE_HELP_EN
                    + " For each kind of data give the storage location and retention period, and attach your data retention policy or similar evidence.",
                    "answer_type": "text",
                    "weight": 5,
                    "evidence_required": True,
                },
                {
                    "text_ja": "顧客のプロンプト、出力、ファイルを、モデルの学習や改善に利用していますか。",
                    "text_en": "Do you use customer prompts, outputs or files to train or improve any model?",
                    "answer_type": "single",
                    "options": [
                        {"value": "never", "ja": "利用しない", "en": "Never", "points": 1.0},
                        {
                            "value": "opt_in",
                            "ja": "オプトインした場合のみ利用する",
                            "en": "Only with opt-in",
                            "points": 0.8,
                        },
                        {
                            "value": "opt_out",
                            "ja": "初期設定で利用する（オプトアウト可能）",
                            "en": "By default, with opt-out",
                            "points": 0.3,
                        },
                        {
                            "value": "no_opt_out",
                            "ja": "利用する（オプトアウト不可）",
                            "en": "Yes, no opt-out",
                            "points": 0.0,
                        },
                    ],
                    "weight": 5,
                    "knockout_values": ["no_opt_out"],
                },
                {
                    "text_ja": "API利用時に、データを保持しないモード（ゼロデータリテンション）を利用できますか。",
                    "text_en": "Is a zero-data-retention mode available for API use?",
                    "answer_type": "yes_no",
                    "options": yes_no(),
                    "weight": 4,
                },
                {
                    "text_ja": "当社の要請に応じて当社のデータをすべて削除できますか。また、何日以内に削除できますか。",
                    "text_en": "Can we delete all our data on request, and within how many days?",
                    "help_ja": "削除完了までの日数を入力してください。要請に応じた削除ができない場合は、コメント欄にその旨をご記入ください。",
                    "help_en": "Enter the number of days until deletion is complete. If deletion on request is not possible, say so in the comment.",
                    "answer_type": "number",
                    "weight": 3,
                },
                {
                    "text_ja": "不正利用の監視のためにプロンプトや出力を記録していますか。また、そのログを閲覧できるのは誰ですか。",
                    "text_en": "Are prompts and outputs logged for abuse monitoring, and who can read those logs?",
                    "answer_type": "text",
                    "weight": 3,
                },
                {
                    "text_ja": "当社のデータは、他の顧客のデータと論理的に分離されていますか。",
                    "text_en": "Are our data logically separated from other customers' data?",
                    "answer_type": "yes_no",
                    "options": yes_no(),
                    "weight": 3,
                },
            ],
        },
        {
            "title_ja": "データの所在地と準拠法",
            "title_en": "Residency and jurisdiction",
            "questions": [
                {
                    "text_ja": "当社のデータはどの国で処理・保存されますか（バックアップやサポート対応時のアクセスを含みます）。",
                    "text_en": "In which countries are our data processed and stored (including backups and support access)?",
                    "help_ja": "処理、保存、バックアップ、サポート対応時のアクセスのそれぞれについて、国名を列挙してください。",
                    "help_en": "List the countries for processing, storage, backups and support access separately.",
                    "answer_type": "text",
                    "weight": 5,
                },
                {
                    "text_ja": "データの処理を当社が指定する地域（例：日本、EU）に限定できますか。",
                    "text_en": "Can we restrict processing to a region of our choice (e.g. Japan, EU)?",
                    "answer_type": "yes_no",
                    "options": yes_no(),
                    "weight": 4,
                },
                {
                    "text_ja": "契約の準拠法はどの国の法律ですか。また、他の法域の政府が当社データへのアクセスを強制できる可能性はありますか。",
                    "text_en": "Under which country's law is the contract governed, and can a government in another jurisdiction compel access to our data?",
                    "answer_type": "text",
                    "weight": 4,
                },
                {
                    "text_ja": "AIサービスに関与する再委託先（サブプロセッサー）を、所在国とあわせて列挙してください。",
                    "text_en": "List your subprocessors involved in the AI service, with their countries.",
                    "help_ja": "一覧をご記入いただくか、サブプロセッサー一覧のファイルを添付してください。",
                    "help_en": "Type the list here or attach your subprocessor list as a file.",
                    "answer_type": "text",
                    "weight": 3,
                    "evidence_required": True,
                },
            ],
        },
        {
            "title_ja": "セキュリティと認証",
            "title_en": "Security and certifications",
            "questions": [
                {
                    "text_ja": "本サービスを対象とする認証・第三者保証はどれですか（ISO/IEC 27001、ISO/IEC 27701、ISO/IEC 42001、SOC 2 Type II、ISMAP、その他）。",
                    "text_en": "Which certifications or attestations cover the service (ISO/IEC 27001, ISO/IEC 27701, ISO/IEC 42001, SOC 2 Type II, ISMAP, other)?",
                    "help_ja": "該当するものをすべて選択し、それぞれの有効期限（「その他」の場合は名称も）をコメント欄にご記入のうえ、認証書または報告書を添付してください。",
                    "help_en": 'Select all that apply, give each expiry date (and the name for "other") in the comment, and attach the certificates or reports.',
                    "answer_type": "multiple",
                    "options": [
                        {"value": "iso27001", "ja": "ISO/IEC 27001", "en": "ISO/IEC 27001", "points": 0.35},
                        {"value": "iso27701", "ja": "ISO/IEC 27701", "en": "ISO/IEC 27701", "points": 0.15},
                        {"value": "iso42001", "ja": "ISO/IEC 42001", "en": "ISO/IEC 42001", "points": 0.15},
                        {"value": "soc2_type2", "ja": "SOC 2 Type II", "en": "SOC 2 Type II", "points": 0.35},
                        {"value": "ismap", "ja": "ISMAP", "en": "ISMAP", "points": 0.3},
                        {"value": "other", "ja": "その他", "en": "Other", "points": 0.1},
                    ],
                    "weight": 4,
                    "evidence_required": True,
                },
                {
                    "text_ja": "データは通信時（TLS 1.2以上）および保存時に暗号化されていますか。",
                    "text_en": "Is data encrypted in transit (TLS 1.2+) and at rest?",
                    "answer_type": "yes_no",
                    "options": yes_no(),
                    "weight": 4,
                    "knockout_values": ["no"],
                },
                {
                    "text_ja": "当社の管理者向けに、シングルサインオン（SAML/OIDC）、ロールベースのアクセス制御、監査ログに対応していますか。",
                    "text_en": "Do you support SSO (SAML/OIDC), role-based access and audit logs for our administrators?",
                    "help_ja": "対応しているものをすべて選択してください。",
                    "help_en": "Select all that you support.",
                    "answer_type": "multiple",
                    "options": [
                        {
                            "value": "sso_saml_oidc",
                            "ja": "シングルサインオン（SAML/OIDC）",
                            "en": "SSO (SAML/OIDC)",
                            "points": 0.4,
                        },
                        {"value": "rbac", "ja": "ロールベースのアクセス制御", "en": "Role-based access", "points": 0.3},
                        {"value": "audit_logs", "ja": "監査ログ", "en": "Audit logs", "points": 0.3},
                    ],
                    "weight": 3,
                },
                {
                    "text_ja": "直近の第三者によるペネトレーションテストはいつ実施されましたか。また、その結果概要を開示いただけますか。",
                    "text_en": "When was the last independent penetration test, and may we see the summary?",
                    "help_ja": "実施日を入力し、開示可能であれば結果概要を添付してください。",
                    "help_en": "Enter the date of the test and attach the summary if you can share it.",
                    "answer_type": "date",
                    "required": False,
                    "weight": 2,
                    "evidence_required": True,
                },
                {
                    "text_ja": "プロンプトインジェクション、モデルを介したデータ流出、ジェイルブレイクに対して、どのような対策を講じていますか。",
                    "text_en": "How do you protect against prompt injection, data exfiltration through the model, and jailbreaks?",
                    "answer_type": "text",
                    "weight": 3,
                },
            ],
        },
        {
            "title_ja": "モデルの変更",
            "title_en": "Model changes",
            "questions": [
                {
                    "text_ja": "モデルはどのくらいの頻度で更新されますか。また、出力に影響する変更について、どのような方法で、どのくらい前に通知されますか。",
                    "text_en": "How often is the model updated, and how and how far in advance are we told of changes that affect outputs?",
                    "help_ja": CORE_HELP_JA,
                    "help_en": CORE_HELP_EN,
                    "answer_type": "text",
                    "weight": 4,
                },
                {
                    "text_ja": "モデルのバージョンを固定できますか。また、各バージョンはどのくらいの期間利用できますか。",
                    "text_en": "Can we pin a model version, and for how long is a version kept available?",
                    "answer_type": "text",
                    "weight": 3,
                },
                {
                    "text_ja": "モデルカード、または学習データの出所や既知の制約に関する文書を公開していますか。",
                    "text_en": "Do you publish model cards or documentation of training data sources and known limitations?",
                    "help_ja": "公開している場合は、コメント欄にリンクをご記入ください。",
                    "help_en": "If so, give the link in the comment.",
                    "answer_type": "yes_no",
                    "options": yes_no(),
                    "weight": 3,
                },
                {
                    "text_ja": "モデルの学習データは開示または要約されていますか（例：汎用AIモデルに関するEU AI法の学習コンテンツ要約）。",
                    "text_en": "Is the model's training data disclosed or summarised (e.g. an EU AI Act training-content summary for general-purpose models)?",
                    "answer_type": "single",
                    "options": [
                        {"value": "full", "ja": "全面的に開示している", "en": "Fully disclosed", "points": 1.0},
                        {"value": "summary", "ja": "要約のみ開示している", "en": "Summary only", "points": 0.6},
                        {"value": "no", "ja": "開示していない", "en": "Not disclosed", "points": 0.0},
                    ],
                    "weight": 2,
                },
            ],
        },
        {
            "title_ja": "インシデントと誤った出力",
            "title_en": "Incidents and wrong output",
            "questions": [
                {
                    "text_ja": "AIが誤った回答、有害な回答、または権利を侵害する回答をした場合の貴社の方針と、当社が受けられるサポートを教えてください。",
                    "text_en": "What is your policy when the AI gives a wrong, harmful or infringing answer, and what support do we get?",
                    "help_ja": CORE_HELP_JA,
                    "help_en": CORE_HELP_EN,
                    "answer_type": "text",
                    "weight": 4,
                },
                {
                    "text_ja": "当社データに影響するセキュリティインシデントやデータ侵害が発生した場合、何時間以内に通知いただけますか。",
                    "text_en": "How fast do you notify us of a security incident or data breach affecting our data (hours)?",
                    "help_ja": "約束できる通知期限を時間単位で入力してください。期限を約束できない場合は空欄のままとし、コメント欄に事情をご記入ください。",
                    "help_en": "Enter the notification deadline you commit to, in hours. If you make no commitment, leave it empty and explain in the comment.",
                    "answer_type": "number",
                    # Optional on purpose: leaving it empty means "no commitment", the knockout.
                    "required": False,
                    "weight": 4,
                    "knockout_values": [""],
                },
                {
                    "text_ja": "どの程度の稼働率を保証していますか。また、保証を下回った場合にどのような補償がありますか。",
                    "text_en": "What uptime do you commit to, and what remedies apply if it is missed?",
                    "answer_type": "text",
                    "weight": 2,
                },
                {
                    "text_ja": "当社が設定できるコンテンツフィルタリングや安全性の設定を提供していますか。",
                    "text_en": "Do you provide content filtering or safety settings we can configure?",
                    "answer_type": "yes_no",
                    "options": yes_no(),
                    "weight": 2,
                },
            ],
        },
        {
            "title_ja": "ライセンスと知的財産",
            "title_en": "Licensing and intellectual property",
            "questions": [
                {
                    "text_ja": "モデルとその出力を商用利用する際に適用されるライセンスまたは利用規約は何ですか。",
                    "text_en": "Under which licence or terms may we use the model and its outputs commercially?",
                    "help_ja": "該当するライセンスまたは規約へのリンクを記載してください。",
                    "help_en": "Include a link to the licence or terms.",
                    "answer_type": "text",
                    "weight": 4,
                },
                {
                    "text_ja": "出力に起因する第三者からの知的財産権侵害の請求について、当社を補償していただけますか。",
                    "text_en": "Do you indemnify us against third-party IP claims arising from outputs?",
                    "help_ja": "限定的な補償の場合は、条件や上限額をコメント欄にご記入ください。",
                    "help_en": "If limited, give the conditions and caps in the comment.",
                    "answer_type": "single",
                    "options": [
                        {"value": "yes", "ja": "補償する", "en": "Yes", "points": 1.0},
                        {"value": "limited", "ja": "条件付き・限定的に補償する", "en": "Limited", "points": 0.5},
                        {"value": "no", "ja": "補償しない", "en": "No", "points": 0.0},
                    ],
                    "weight": 3,
                },
                {
                    "text_ja": "利用規約において、ユーザー数、業種、利用目的による利用制限はありますか。",
                    "text_en": "Do the terms restrict use by user count, industry or purpose?",
                    "answer_type": "text",
                    "weight": 3,
                },
                {
                    "text_ja": "出力の権利は誰に帰属しますか。",
                    "text_en": "Who owns the outputs?",
                    "answer_type": "single",
                    "options": [
                        {"value": "customer", "ja": "顧客（当社）", "en": "Customer", "points": 1.0},
                        {"value": "vendor", "ja": "ベンダー（貴社）", "en": "Vendor", "points": 0.0},
                        {"value": "shared", "ja": "共有", "en": "Shared", "points": 0.5},
                        {"value": "unclear", "ja": "規約上明確でない", "en": "Unclear", "points": 0.0},
                    ],
                    "weight": 3,
                },
            ],
        },
        {
            "title_ja": "人による監督と透明性",
            "title_en": "Human oversight and transparency",
            "questions": [
                {
                    "text_ja": "出力にAIが生成したものである旨の表示を付けられますか（例：顧客向けコンテンツ）。",
                    "text_en": "Can outputs be labelled as AI-generated (e.g. for customer-facing content)?",
                    "answer_type": "yes_no",
                    "options": yes_no(),
                    "weight": 2,
                },
                {
                    "text_ja": "出力について、根拠の説明、引用元、確信度などの情報を提供していますか。",
                    "text_en": "Do you provide explanations, citations or confidence signals for outputs?",
                    "answer_type": "yes_no",
                    "options": yes_no(),
                    "required": False,
                    "weight": 1,
                },
                {
                    "text_ja": "貴社の機能のうち、人に関する自動的な意思決定を行うものはありますか。ある場合は、その機能を教えてください。",
                    "text_en": "Which of your features make automated decisions about people, if any?",
                    "answer_type": "text",
                    "weight": 3,
                },
            ],
        },
        {
            "title_ja": "ポータビリティとハイブリッド構成への備え",
            "title_en": "Portability and the hybrid future",
            "questions": [
                {
                    "text_ja": "将来、オープンソースモデルと併用できる構成ですか（標準的なAPI、独自モデルの持ち込み、プロンプト・ファインチューニング結果・ログのエクスポートなど）。",
                    "text_en": "Will the setup work alongside open-source models later (standard APIs, bring-your-own-model, export of prompts, fine-tunes and logs)?",
                    "help_ja": CORE_HELP_JA,
                    "help_en": CORE_HELP_EN,
                    "answer_type": "text",
                    "weight": 3,
                },
                {
                    "text_ja": "契約終了時に、当社のデータ、プロンプト、設定をすべて標準的な形式でエクスポートできますか。",
                    "text_en": "Can we export all our data, prompts and configurations in a standard format on exit?",
                    "answer_type": "yes_no",
                    "options": yes_no(),
                    "weight": 3,
                },
                {
                    "text_ja": "価格改定やサービス提供終了の際は、どのくらい前に通知されますか。",
                    "text_en": "What is the notice period for price changes or service withdrawal?",
                    "answer_type": "text",
                    "weight": 2,
                },
            ],
        },
        {
            "title_ja": "来歴・テスト・規制対応",
            "title_en": "Provenance, testing and regulation",
            "questions": [
                {
                    "text_ja": "本サービスのデータ経路上にあるすべての基盤モデルを、バージョンおよび重みのホスティング場所とあわせて列挙してください。",
                    "text_en": "List every foundation model in the data path of your service, with versions and where their weights are hosted.",
                    "answer_type": "text",
                    "weight": 4,
                },
                {
                    "text_ja": "当社データから作成した埋め込み（エンベディング）やベクトルストアはどのくらいの期間保持されますか。また、当社自身で削除できますか。",
                    "text_en": "How long are embeddings and vector stores built from our data kept, and can we delete them ourselves?",
                    "answer_type": "text",
                    "weight": 3,
                },
                {
                    "text_ja": "貴社の従業員が当社のコンテンツを閲覧することはありますか（不正利用の審査、ラベル付けなど）。ある場合、どのような管理のもとで行われますか。",
                    "text_en": "Do your staff ever read our content (abuse review, labelling), and under what controls?",
                    "answer_type": "text",
                    "weight": 3,
                },
                {
                    "text_ja": "どのようなレッドチーミングやプロンプトインジェクションのテストを、いつ実施しましたか。",
                    "text_en": "What red-teaming and prompt-injection testing have you done, and when?",
                    "help_ja": "実施内容と時期をご記入のうえ、報告書または結果概要を添付してください。",
                    "help_en": "Describe the tests and their dates, and attach the report or a summary.",
                    "answer_type": "text",
                    "weight": 3,
                    "evidence_required": True,
                },
                {
                    "text_ja": "過去24か月以内に、顧客に影響するセキュリティインシデントは発生しましたか。",
                    "text_en": "Have you had security incidents affecting customers in the last 24 months?",
                    "help_ja": "「はい」の場合は、概要と対応内容をコメント欄にご記入ください。",
                    "help_en": "If yes, describe the incidents and your response in the comment.",
                    "answer_type": "yes_no",
                    "options": yes_no(yes=0.5, no=1.0),
                    "weight": 3,
                },
                {
                    "text_ja": "再委託先（サブプロセッサー）の一覧を変更する前に当社へ通知し、当社が異議を述べる機会を設けていただけますか。",
                    "text_en": "Will you notify us, and let us object, before your subprocessor list changes?",
                    "answer_type": "yes_no",
                    "options": yes_no(),
                    "weight": 2,
                },
                {
                    "text_ja": "EU AI法において本サービスをどのように分類していますか。また、どのフレームワーク（NIST AI RMF、ISO/IEC 42001など）に準拠していますか。",
                    "text_en": "How do you classify the service under the EU AI Act, and which frameworks do you follow (NIST AI RMF, ISO/IEC 42001)?",
                    "answer_type": "text",
                    "weight": 2,
                },
                {
                    "text_ja": "自動アップデートで追加されたAI機能を、当社が確認を終えるまで無効にしておくことはできますか。",
                    "text_en": "Can AI features that arrive with an automatic update be switched off until we have reviewed them?",
                    "answer_type": "yes_no",
                    "options": yes_no(),
                    "weight": 3,
                },
                {
                    "text_ja": "当社にはどのような監査権がありますか。また、当社の記録保存義務のために、やり取りのログをエクスポートできますか。",
                    "text_en": "What audit rights do we have, and can we export interaction logs for our own retention duties?",
                    "answer_type": "text",
                    "weight": 2,
                },
            ],
        },
    ],
}

# All four are needed before an open-model PoC, so "no" to any of them is a knockout.
_READINESS = {"answer_type": "yes_no", "options": yes_no(), "weight": 5, "knockout_values": ["no"]}

OPEN_MODEL_READINESS = {
    "key": "open-model-readiness",
    "name_ja": "オープンソースモデル導入準備チェック",
    "name_en": "Open-source model adoption readiness",
    "audience": "internal",
    "sections": [
        {
            "title_ja": "導入準備",
            "title_en": "Readiness",
            "questions": [
                {
                    **_READINESS,
                    "text_ja": "モデルを継続的に運用できるチームがある。",
                    "text_en": "A team exists that can operate the model continuously.",
                },
                {
                    **_READINESS,
                    "text_ja": "ライセンスの内容を理解し、遵守事項を整理している（法務部門の確認済み）。",
                    "text_en": "The licence is understood and compliance is sorted out (legal reviewed it).",
                },
                {
                    **_READINESS,
                    "text_ja": "必要な障害対応の体制と、想定負荷に耐える処理能力が決まっている。",
                    "text_en": "Required incident handling and load capacity are decided.",
                },
                {
                    **_READINESS,
                    "text_ja": "最初の適用範囲が十分に絞り込まれている。",
                    "text_en": "The first scope is narrowed enough.",
                },
            ],
        },
    ],
}

TEMPLATES = [GENAI_VENDOR_ASSESSMENT, OPEN_MODEL_READINESS]

QUESTION_DEFAULTS = {
    "help_ja": "",
    "help_en": "",
    "options": [],
    "required": True,
    "weight": 3,
    "knockout_values": [],
    "evidence_required": False,
}


def seed(apps, schema_editor):
    QuestionnaireTemplate = apps.get_model("vendors", "QuestionnaireTemplate")
    TemplateVersion = apps.get_model("vendors", "TemplateVersion")
    TemplateSection = apps.get_model("vendors", "TemplateSection")
    Question = apps.get_model("vendors", "Question")
    for data in TEMPLATES:
        if QuestionnaireTemplate.objects.filter(key=data["key"]).exists():
            continue
        template = QuestionnaireTemplate.objects.create(
            key=data["key"], name_ja=data["name_ja"], name_en=data["name_en"], audience=data["audience"]
        )
        version = TemplateVersion.objects.create(
            template=template, number=1, status="published", published_at=timezone.now()
        )
        for section_position, section_data in enumerate(data["sections"], start=1):
            section = TemplateSection.objects.create(
                version=version,
                position=section_position,
                title_ja=section_data["title_ja"],
                title_en=section_data["title_en"],
            )
            Question.objects.bulk_create(
                Question(section=section, position=position, **{**QUESTION_DEFAULTS, **question})
                for position, question in enumerate(section_data["questions"], start=1)
            )


class Migration(migrations.Migration):
    dependencies = [("vendors", "0003_seed_licences")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
