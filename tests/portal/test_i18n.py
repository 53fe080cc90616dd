"""The Japanese catalogue: complete, compiled, and actually used by the pages.

The .po file is read with the small parser below (polib is deliberately not a
dependency); the .mo file is read with the standard library's ``gettext``.
Refresh both with ``make messages`` (makemessages + compilemessages).
"""

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from portal.roles import Role
from usecases.choices import DataClassification, UseCaseStatus

# A fresh git checkout writes django.mo and django.po a few milliseconds apart in
# either order, so "not older" allows for that; a stale .mo is minutes or days behind.
MTIME_TOLERANCE_SECONDS = 2.0

PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")
BRACE_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


@dataclass
class PoEntry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False
    line: int = 0

    @property
    def key(self):
        """The key the compiled catalogue uses: ``context\\x04msgid`` when there is a context."""
        return self.msgid if self.msgctxt is None else f"{self.msgctxt}\x04{self.msgid}"

    @property
    def is_header(self):
        return self.msgid == "" and self.msgctxt is None

    @property
    def translations(self):
        return [self.msgstr[index] for index in sorted(self.msgstr)]


def _unquote(text, path, number):
    text = text.strip()
    if not (len(text) >= 2 and text[0] == '"' and text[-1] == '"'):
        raise ValueError(f"{path}:{number}: expected a quoted string, got {text!r}")
    # PO strings use C escapes (\n, \t, \", \\), which a Python literal reads the same way.
    return ast.literal_eval(text)


def parse_po(path):
    """Return the entries of a PO file (header included), in file order."""
    entries = []
    entry = PoEntry()
    target = None  # (attribute, plural index) that continuation lines extend
    started = False

    def finish():
        nonlocal entry, target, started
        if started:
            entries.append(entry)
        entry, target, started = PoEntry(), None, False

    for number, raw in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            continue
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
            if not line:
                continue
        elif line.startswith("#"):
            if target is not None:  # a comment after the strings opens the next entry
                finish()
            if line.startswith("#,"):
                entry.flags.update(flag.strip() for flag in line[2:].split(",") if flag.strip())
            if not started:
                entry.line = number
            started = True
            continue
        if not started:
            entry.line = number
        started = True
        entry.obsolete = entry.obsolete or obsolete
        if line.startswith('"'):
            if target is None:
                raise ValueError(f"{path}:{number}: continuation line without a keyword")
            name, index = target
            if name == "msgstr":
                entry.msgstr[index] += _unquote(line, path, number)
            else:
                setattr(entry, name, getattr(entry, name) + _unquote(line, path, number))
            continue
        keyword, _space, rest = line.partition(" ")
        if keyword == "msgctxt":
            if target is not None:
                finish()
                entry.line, started = number, True
            entry.msgctxt, target = _unquote(rest, path, number), ("msgctxt", None)
        elif keyword == "msgid":
            if target is not None and target[0] != "msgctxt":
                finish()
                entry.line, started = number, True
            entry.msgid, target = _unquote(rest, path, number), ("msgid", None)
        elif keyword == "msgid_plural":
            entry.msgid_plural, target = _unquote(rest, path, number), ("msgid_plural", None)
        elif keyword == "msgstr":
            entry.msgstr[0], target = _unquote(rest, path, number), ("msgstr", 0)
        elif match := re.fullmatch(r"msgstr\[(\d+)\]", keyword):
            index = int(match.group(1))
            entry.msgstr[index], target = _unquote(rest, path, number), ("msgstr", index)
        else:
            raise ValueError(f"{path}:{number}: unexpected line {raw!r}")
    finish()
    return entries


def parse_header(entry):
    return dict(line.split(":", 1) for line in entry.msgstr[0].splitlines() if ":" in line)


def _locale_file(suffix):
    return Path(settings.LOCALE_PATHS[0]) / "ja" / "LC_MESSAGES" / f"django.{suffix}"


@pytest.fixture(scope="module")
def po_path():
    path = _locale_file("po")
    assert path.is_file(), f"{path} is missing; run `make messages`"
    return path


@pytest.fixture(scope="module")
def mo_path():
    path = _locale_file("mo")
    assert path.is_file(), f"{path} is missing; run `manage.py compilemessages`"
    return path


@pytest.fixture(scope="module")
def po_entries(po_path):
    return parse_po(po_path)


@pytest.fixture(scope="module")
def header(po_entries):
    headers = [entry for entry in po_entries if entry.is_header]
    assert len(headers) == 1, "the catalogue needs exactly one header entry"
    return headers[0]


@pytest.fixture(scope="module")
def messages(po_entries):
    """The real messages: no header, no obsolete leftovers."""
    return [entry for entry in po_entries if not entry.is_header and not entry.obsolete]


@pytest.fixture(scope="module")
def po_catalogue(messages):
    return {entry.key: entry for entry in messages}


@pytest.fixture(scope="module")
def mo_catalogue(mo_path):
    with mo_path.open("rb") as handle:
        return gettext.GNUTranslations(handle)


def where(entry):
    return f"line {entry.line}: {entry.msgid!r}"


# --- (a) the catalogue is complete ---------------------------------------------------


SAMPLE_PO = r"""# header comment
msgid ""
msgstr ""
"Language: ja\n"
"Plural-Forms: nplurals=1; plural=0;\n"

#: app/views.py:1
#, fuzzy, python-format
msgid "Hello %(name)s"
msgstr "こんにちは"

msgctxt "button"
msgid ""
"Two "
"lines\n"
msgstr ""

#, python-format
msgid "%(n)s item"
msgid_plural "%(n)s items"
msgstr[0] "%(n)s件の \"項目\""

#~ msgid "Gone"
#~ msgstr "削除済み"
"""


def test_parser_on_a_sample(tmp_path):
    path = tmp_path / "sample.po"
    path.write_text(SAMPLE_PO, encoding="utf-8")
    header, fuzzy, context, plural, obsolete = parse_po(path)
    assert header.is_header and parse_header(header)["Language"].strip() == "ja"
    assert fuzzy.flags == {"fuzzy", "python-format"} and fuzzy.msgstr == {0: "こんにちは"}
    assert (context.key, context.msgstr, context.line) == ("button\x04Two lines\n", {0: ""}, 12)
    assert plural.msgid_plural == "%(n)s items" and plural.msgstr == {0: '%(n)s件の "項目"'}
    assert obsolete.obsolete and obsolete.msgid == "Gone"


def test_parser_reads_the_catalogue(messages):
    assert len(messages) > 100
    assert len({entry.key for entry in messages}) == len(messages), "duplicate msgids"


def test_header_declares_japanese_utf8_and_one_plural_form(header):
    fields = {name.strip(): value.strip() for name, value in parse_header(header).items()}
    assert fields["Language"] == "ja"
    assert fields["Plural-Forms"] == "nplurals=1; plural=0;"
    assert fields["Content-Type"] == "text/plain; charset=UTF-8"
    assert "fuzzy" not in header.flags, "a fuzzy header is skipped by msgfmt"


def test_no_message_is_untranslated(messages):
    untranslated = [where(entry) for entry in messages if not entry.msgstr or not all(entry.translations)]
    assert untranslated == []


def test_plural_messages_fill_exactly_the_one_japanese_form(messages):
    plurals = [entry for entry in messages if entry.msgid_plural is not None]
    assert plurals, "expected at least one plural message (the use-case counter)"
    wrong = [where(entry) for entry in plurals if sorted(entry.msgstr) != [0]]
    assert wrong == []


def test_no_message_is_fuzzy_or_obsolete(po_entries):
    assert [where(entry) for entry in po_entries if "fuzzy" in entry.flags] == []
    assert [where(entry) for entry in po_entries if entry.obsolete] == []


def test_placeholders_survive_translation(messages):
    broken = []
    for entry in messages:
        if "python-format" in entry.flags:
            pattern = PLACEHOLDER
        elif "python-brace-format" in entry.flags:
            pattern = BRACE_PLACEHOLDER
        else:
            continue
        for source in filter(None, (entry.msgid, entry.msgid_plural)):
            expected = sorted(pattern.findall(source))
            for translated in entry.translations:
                if sorted(pattern.findall(translated)) != expected:
                    broken.append(f"{where(entry)} -> {translated!r}")
    assert broken == []


def test_line_breaks_match_at_both_ends(messages):
    """msgfmt --check refuses a translation that adds or drops a leading/trailing newline."""
    broken = [
        where(entry)
        for entry in messages
        for translated in entry.translations
        if entry.msgid.startswith("\n") != translated.startswith("\n")
        or entry.msgid.endswith("\n") != translated.endswith("\n")
    ]
    assert broken == []


# --- (b) the compiled catalogue matches ---------------------------------------------


def test_mo_is_not_older_than_po(po_path, mo_path):
    age = po_path.stat().st_mtime - mo_path.stat().st_mtime
    assert age <= MTIME_TOLERANCE_SECONDS, (
        f"django.mo is {age:.0f}s older than django.po; run `manage.py compilemessages`"
    )


def test_mo_holds_every_message_of_the_po(messages, mo_catalogue):
    compiled = {key[0] if isinstance(key, tuple) else key for key in mo_catalogue._catalog}
    compiled.discard("")  # the header
    assert len(compiled) == len(messages)
    assert compiled == {entry.key for entry in messages}


def test_mo_translations_equal_the_po(messages, mo_catalogue):
    catalog = mo_catalogue._catalog
    different = []
    for entry in messages:
        if entry.msgid_plural is None:
            compiled = [catalog.get(entry.key)]
        else:
            compiled = [catalog.get((entry.key, index)) for index in sorted(entry.msgstr)]
        if compiled != entry.translations:
            different.append(f"{where(entry)}: mo {compiled!r} != po {entry.translations!r}")
    assert different == []


@pytest.mark.parametrize(
    "msgid",
    ["AI governance portal", "Log in", "Changes requested", "Welcome, %(name)s"],
)
def test_mo_answers_gettext_like_the_po(po_catalogue, mo_catalogue, msgid):
    assert mo_catalogue.gettext(msgid) == po_catalogue[msgid].msgstr[0]
    assert mo_catalogue.gettext(msgid) != msgid


def test_mo_answers_ngettext_with_the_single_japanese_form(po_catalogue, mo_catalogue):
    entry = po_catalogue["%(counter)s use case"]
    for count in (1, 2, 25):
        assert mo_catalogue.ngettext(entry.msgid, entry.msgid_plural, count) == entry.msgstr[0]


def test_mo_header_is_japanese(mo_catalogue):
    info = mo_catalogue.info()
    assert info["language"] == "ja"
    assert mo_catalogue.charset().lower() == "utf-8"


# --- The agreed vocabulary reaches the running application -------------------------


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        (UseCaseStatus.DRAFT.label, "下書き"),
        (UseCaseStatus.SUBMITTED.label, "提出済み"),
        (UseCaseStatus.IN_REVIEW.label, "レビュー中"),
        (UseCaseStatus.CHANGES_REQUESTED.label, "差し戻し"),
        (UseCaseStatus.APPROVED.label, "承認済み"),
        (UseCaseStatus.REJECTED.label, "却下"),
        (UseCaseStatus.PILOTING.label, "パイロット中"),
        (UseCaseStatus.IN_PRODUCTION.label, "本番運用中"),
        (UseCaseStatus.RETIRED.label, "廃止"),
        (UseCaseStatus.WITHDRAWN.label, "取り下げ"),
        (Role.REQUESTER.label, "申請者"),
        (Role.REVIEWER.label, "レビュアー"),
        (Role.EXECUTIVE.label, "経営層"),
        (Role.GOVERNANCE_ADMIN.label, "ガバナンス管理者"),
        (DataClassification.PUBLIC.label, "公開"),
        (DataClassification.INTERNAL.label, "社内"),
        (DataClassification.CONFIDENTIAL.label, "機密"),
        (DataClassification.RESTRICTED.label, "極秘"),
    ],
)
def test_domain_vocabulary(label, expected):
    with translation.override("ja"):
        assert str(label) == expected
    with translation.override("en"):
        assert str(label) != expected


# --- (c) the pages speak the visitor's language --------------------------------------


@pytest.fixture
def ja(po_catalogue):
    """Japanese for a few strings of our own templates, as the catalogue has them."""
    strings = {msgid: po_catalogue[msgid].msgstr[0] for msgid in ("AI governance portal", "Log in")}
    assert all(translated != msgid for msgid, translated in strings.items())
    return strings


@pytest.mark.django_db
def test_login_page_in_japanese(client, ja):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="ja">' in html
    assert f"<title>{ja['Log in']}</title>" in html
    assert ja["AI governance portal"] in html
    assert "AI governance portal" not in html


@pytest.mark.django_db
def test_login_page_in_english(client, ja):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "<title>Log in</title>" in html
    assert "AI governance portal" in html
    assert ja["AI governance portal"] not in html


@pytest.mark.django_db
@pytest.mark.parametrize(("cookie", "browser", "brand"), [("ja", "en", "ja"), ("en", "ja", "en")])
def test_language_cookie_wins_over_the_browser(client, ja, cookie, browser, brand):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = cookie
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE=browser)
    html = response.content.decode()
    assert f'<html lang="{cookie}">' in html
    expected = ja["AI governance portal"] if brand == "ja" else "AI governance portal"
    assert expected in html


@pytest.mark.django_db
def test_signed_in_home_page_in_japanese(client, requester, ja):
    client.force_login(requester)
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 200
    html = response.content.decode()
    assert ja["AI governance portal"] in html
    with translation.override("ja"):
        assert str(Role.REQUESTER.label) in html  # the role shown in the navigation bar
