import pytest

from edgedeploy.domain.safety import (
    ASIL,
    DecomposedAsil,
    InvalidAsil,
    InvalidDecomposition,
    allowed_decompositions,
    validate_decomposition,
)


def test_asil_levels_are_ordered_from_qm_to_d():
    assert sorted([ASIL.D, ASIL.QM, ASIL.B, ASIL.A, ASIL.C]) == [
        ASIL.QM, ASIL.A, ASIL.B, ASIL.C, ASIL.D]
    assert ASIL.C > ASIL.B
    assert max(ASIL.A, ASIL.D) is ASIL.D
    assert ASIL.C >= ASIL.QM and ASIL.QM <= ASIL.A and ASIL.D > ASIL.QM
    assert not ASIL.QM > ASIL.A
    assert max(ASIL.QM, ASIL.B) is ASIL.B


@pytest.mark.parametrize("text,expected", [
    ("C", ASIL.C), ("ASIL C", ASIL.C), ("asil-d", ASIL.D), ("ASIL_B", ASIL.B), ("QM", ASIL.QM),
    (" qm ", ASIL.QM), ("B(D)", ASIL.B),
])
def test_asil_is_read_as_tools_write_it(text, expected):
    assert ASIL.parse(text) is expected


@pytest.mark.parametrize("text", ["E", "ASIL", "", "SIL 3"])
def test_an_unknown_asil_is_refused_with_its_text(text):
    with pytest.raises(InvalidAsil, match="is not an ASIL"):
        ASIL.parse(text)


def test_asil_d_decomposes_as_iso_26262_9_allows():
    assert set(allowed_decompositions(ASIL.D)) == {
        (ASIL.D, ASIL.QM), (ASIL.C, ASIL.A), (ASIL.B, ASIL.B)}
    assert set(allowed_decompositions(ASIL.C)) == {(ASIL.C, ASIL.QM), (ASIL.B, ASIL.A)}
    assert set(allowed_decompositions(ASIL.B)) == {(ASIL.B, ASIL.QM), (ASIL.A, ASIL.A)}
    assert allowed_decompositions(ASIL.A) == ((ASIL.A, ASIL.QM),)
    assert allowed_decompositions(ASIL.QM) == ()


@pytest.mark.parametrize("origin,parts", [
    (ASIL.D, [ASIL.C, ASIL.A]), (ASIL.D, [ASIL.B, ASIL.B]), (ASIL.D, [ASIL.QM, ASIL.D]),
    (ASIL.C, [ASIL.A, ASIL.B]), (ASIL.B, [ASIL.A, ASIL.A]),
])
def test_valid_decompositions_pass(origin, parts):
    validate_decomposition(origin, parts)


def test_parts_that_do_not_add_up_are_refused_naming_the_rule():
    with pytest.raises(InvalidDecomposition, match=r"B\(D\)\+A\(D\).*must add up.*5\.4\.4"):
        validate_decomposition(ASIL.D, [ASIL.B, ASIL.A])


def test_a_decomposition_has_exactly_two_parts():
    with pytest.raises(InvalidDecomposition, match="exactly two"):
        validate_decomposition(ASIL.D, [ASIL.B, ASIL.A, ASIL.A])


def test_qm_cannot_be_decomposed():
    with pytest.raises(InvalidDecomposition, match="QM cannot be decomposed"):
        validate_decomposition(ASIL.QM, [ASIL.QM, ASIL.QM])


def test_decomposed_asil_notation_round_trips():
    part = DecomposedAsil.parse("ASIL B(D)")
    assert part == DecomposedAsil(ASIL.B, ASIL.D)
    assert str(part) == "B(D)"
    with pytest.raises(InvalidAsil):
        DecomposedAsil.parse("B")
