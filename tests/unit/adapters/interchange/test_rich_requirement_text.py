"""Rich (XHTML) requirement text: kept exactly, shown as words."""

from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET

from edgedeploy.adapters.interchange.xhtml import (
    derive_title,
    from_elements,
    is_xhtml,
    plain_text,
    to_element,
)

XHTML = "http://www.w3.org/1999/xhtml"


def the_value(inner: str) -> tuple[list[Element], str | None]:
    element = SafeET.fromstring(f'<THE-VALUE xmlns:xhtml="{XHTML}">{inner}</THE-VALUE>')
    return list(element), element.text


def test_a_div_holding_only_text_is_kept_as_plain_text() -> None:
    assert from_elements(*the_value("<xhtml:div>\n  Brake within 1 s.\n</xhtml:div>")) == \
        "Brake within 1 s."


def test_text_without_any_element_is_kept_as_plain_text() -> None:
    assert from_elements(*the_value("  just words  ")) == "just words"


def test_markup_is_kept_in_canonical_form_with_one_namespace_declaration() -> None:
    text = from_elements(*the_value(
        '<xhtml:div>Brake <xhtml:b class="k">now</xhtml:b><xhtml:br/>&amp; hold</xhtml:div>'))

    assert text == (f'<div xmlns="{XHTML}">Brake <b class="k">now</b><br/>&amp; hold</div>')
    assert is_xhtml(text)


def test_canonical_rich_text_parses_back_into_xhtml_elements() -> None:
    element = to_element("doc", f'<div xmlns="{XHTML}">a <i>b</i></div>')

    assert element.tag == f"{{{XHTML}}}div"
    assert element[0].tag == f"{{{XHTML}}}i"


def test_plain_text_strips_markup_and_separates_blocks() -> None:
    text = f'<div xmlns="{XHTML}"><p>First.</p><p>Second <b>bold</b>.</p><ul><li>x</li></ul></div>'

    assert plain_text(text) == "First. Second bold. x"
    assert plain_text("not rich <b>at all</b>") == "not rich <b>at all</b>"


def test_a_derived_title_is_the_first_sentence_cut_at_a_word_boundary() -> None:
    assert derive_title("Short one. And more.") == "Short one."
    long = "The perception function shall classify every object " * 4
    title = derive_title(long, limit=40)

    assert title.endswith("…") and len(title) <= 41
    assert long.startswith(title[:-1])
