"""Hostile input for the fuzz tests (Hypothesis), and the check that none of it became markup.

Every piece of markup the strategies write carries a marker: an element named `fuzz-el`, or an
attribute named `data-fuzz` or `on…` (an event handler), or a `javascript:` URL. An answer is
parsed as a browser would parse it (tinyhtml5, an HTML5 parser already installed for
WeasyPrint) and must hold none of them: escaped input stays text, whatever it broke out of.
"""

import urllib.parse

import tinyhtml5
from hypothesis import strategies as st

# What an attacker writes before the markup, to break out of where the input lands: an
# attribute value, a textarea, a title, a script, a comment, an option.
BREAKOUTS = [
    "",
    '"',
    "'",
    '">',
    "'>",
    "</textarea>",
    "</title>",
    "</script>",
    "</option></select>",
    "-->",
    "]]>",
    "`",
    "\u202e",  # RIGHT-TO-LEFT OVERRIDE: text that reads backwards
]
TAGS = ["script", "img", "svg", "iframe", "a", "b", "style", "math", "fuzz-el", "input"]
ATTRIBUTES = [
    "data-fuzz=1",
    'data-fuzz="x"',
    "onerror=alert(1)",
    "onload='alert(1)'",
    'href="javascript:alert(1)"',
    "src=javascript:alert(1)",
    "data-fuzz",
]
# Whole payloads as they circulate (OWASP's cheat sheet and the like), each with its marker.
PAYLOADS = [
    "<script data-fuzz>alert(1)</script>",
    '"><img src=x onerror=alert(1) data-fuzz>',
    "'><svg onload=alert(1) data-fuzz>",
    "</textarea><fuzz-el>",
    '<a href="javascript:alert(1)" data-fuzz>x</a>',
    "<!--<fuzz-el>-->",
    "{{ 7|add:7 }} {% debug %} {target_name} {signer_name",
    '=HYPERLINK("http://evil")',
    "Ana\r\nBcc: victim@example.org",
    "a\x00b",
    "\u202etxt.exe",
    "👩🏽‍💻🇲🇽 ا ب ت",
    "\ud800",  # a lone surrogate: only sendable as invalid UTF-8 (see form_body)
    "%00%0d%0a<fuzz-el>",
    "&lt;fuzz-el data-fuzz&gt;",
    '" data-fuzz="1',  # out of an attribute value, without a tag
    "' onmouseover='alert(1)",
]
TEN_KB = 10 * 1024


@st.composite
def markup(draw) -> str:
    """A tag an attacker would try, written after a breakout, with marked attributes."""
    tag = draw(st.sampled_from(TAGS))
    attributes = draw(st.lists(st.sampled_from(ATTRIBUTES), min_size=1, max_size=3))
    close = draw(st.sampled_from([">", "/>", " >", ""]))
    return f"{draw(st.sampled_from(BREAKOUTS))}<{tag} {' '.join(attributes)}{close}"


def repeated_to(length: int):
    """A payload repeated to `length` characters: oversized input (10 kB)."""
    return st.sampled_from(PAYLOADS).map(
        lambda payload: (payload * (length // len(payload) + 1))[:length]
    )


# Any text at all, including control characters, NUL and lone surrogates.
any_text = st.text(st.characters(codec=None), max_size=40)

hostile_text = st.one_of(
    st.sampled_from(PAYLOADS),
    markup(),
    st.lists(st.one_of(st.sampled_from(PAYLOADS), markup(), any_text), min_size=1, max_size=4).map(
        "".join
    ),
    repeated_to(TEN_KB),
    any_text,
)


def _printable(text: str) -> bool:
    return not any(
        ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0 or 0xD800 <= ord(char) < 0xE000
        for char in text
    )


# Hostile, yet what a form may well accept as text: one line, no braces (letter placeholders),
# nothing a browser cannot send; markup included. The pages that show stored input need it.
ACCEPTABLE_PAYLOADS = [p for p in PAYLOADS if _printable(p) and "{" not in p]
printable_text = (
    st.text(st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]), min_size=1, max_size=40)
    .map(str.strip)
    .filter(lambda text: text and "{" not in text and "}" not in text and _printable(text))
)
acceptable_text = st.one_of(st.sampled_from(ACCEPTABLE_PAYLOADS), markup(), printable_text)


def encodable(text: str) -> bytes:
    """UTF-8, lone surrogates included as the three bytes an attacker can send (invalid UTF-8)."""
    return text.encode("utf-8", "surrogatepass")


def form_body(data: dict) -> bytes:
    """An application/x-www-form-urlencoded body, written by hand so that any string fits."""
    pairs = []
    for name, value in data.items():
        for item in value if isinstance(value, list | tuple) else [value]:
            pairs.append(
                urllib.parse.quote_plus(encodable(name))
                + "="
                + urllib.parse.quote_plus(encodable(str(item)))
            )
    return "&".join(pairs).encode("ascii")


def post_form(client, url: str, data: dict, **headers):
    return client.post(
        url, form_body(data), content_type="application/x-www-form-urlencoded", headers=headers
    )


# -- The check --------------------------------------------------------------------------------

HTML_NAMESPACE = "{http://www.w3.org/1999/xhtml}"
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster"}


def local_name(tag) -> str:
    tag = str(tag)
    return tag.rsplit("}", 1)[-1] if tag.startswith("{") else tag


def injected_markup(html: str) -> list[str]:
    """Every element or attribute in the page that only the hostile input can have made."""
    found = []
    for element in tinyhtml5.parse(html).iter():
        tag = local_name(element.tag)
        if tag == "fuzz-el":
            found.append(f"element <{tag}>")
        for name, value in element.attrib.items():
            name = local_name(name).lower()
            if name.startswith("data-fuzz") or name.startswith("on"):
                found.append(f"attribute {name} on <{tag}>")
            if name in URL_ATTRIBUTES and "javascript:" in "".join(value.split()).lower():
                found.append(f"javascript: URL in {name} on <{tag}>")
        if tag in {"script", "style"} and "alert(1)" in (element.text or ""):
            found.append(f"inline <{tag}> with the input's code")
    return found


def field_values(html: str, name: str) -> list[str]:
    """What the page shows in the input or textarea called `name`, as a browser reads it."""
    values = []
    for element in tinyhtml5.parse(html).iter():
        if element.attrib.get("name") != name:
            continue
        if local_name(element.tag) == "input":
            values.append(element.attrib.get("value", ""))
        elif local_name(element.tag) == "textarea":
            values.append(element.text or "")
    return values


def shown_as_typed(value: str) -> bool:
    """Input a browser can show unchanged: the HTML parser rewrites control characters, CR and
    lone surrogates (sent as invalid UTF-8), so those are checked for markup only."""
    return value == encodable(value).decode("utf-8", "replace") and not any(
        ord(char) < 0x20 or ord(char) == 0x7F for char in value
    )


def assert_no_injected_markup(response) -> None:
    assert response["Content-Type"].startswith("text/html"), response["Content-Type"]
    injected = injected_markup(response.content.decode())
    assert not injected, f"hostile input became markup: {injected}"
