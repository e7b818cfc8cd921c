"""The strict parser every interface reads numbers with (services/params.py)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from portreg.errors import InvalidQuery
from portreg.model import PortRange
from portreg.rules import MAX_PORT
from portreg.services import params

#: Characters str.isdigit() or int() accept that are not ASCII digits: superscripts,
#: Arabic-Indic, Devanagari, fullwidth, Bengali, Thai, mathematical bold.
FOREIGN_DIGITS = "²³¹٣٠۳३০๓３𝟑⁰₃"
#: int() accepts every one of these and means a number by it.
INT_TRICKS = ["+80", "-0", " 80", "80 ", "8_0", "\t80\n", "٣", "３"]
NOT_NUMBERS = ["", "80.0", "0x50", "1e3", "80-", "-", "²", "8²", "\x00", "80\x00", "nan", "inf", "٣٣"]


@pytest.mark.parametrize("text", INT_TRICKS + NOT_NUMBERS + ["9" * 5000, "1" * 4301])
@pytest.mark.parametrize(
    "parse",
    [params.parse_port, params.parse_page, params.parse_version, params.parse_id, params.parse_range],
    ids=lambda f: f.__name__,
)
def test_refuses_what_is_not_ascii_digits(parse, text):
    with pytest.raises(InvalidQuery) as raised:
        parse(text)
    assert raised.value.parameter
    assert "ASCII digits" in str(raised.value) or "LOW-HIGH" in str(raised.value)
    assert len(str(raised.value)) < 200


def test_foreign_digits_are_digits_to_python_but_not_here():
    for char in FOREIGN_DIGITS:
        assert char.isdigit(), unicodedata.name(char)
        with pytest.raises(InvalidQuery):
            params.parse_port(char)
        with pytest.raises(InvalidQuery):
            params.parse_port("8" + char)


@given(st.integers(0, MAX_PORT))
def test_every_port_round_trips(port):
    assert params.parse_port(str(port)) == port
    assert params.parse_port(str(port).zfill(5)) == port


@given(st.integers(MAX_PORT + 1, 10**30))
def test_ports_beyond_65535_are_refused_with_the_limit(port):
    with pytest.raises(InvalidQuery, match="0 to 65535"):
        params.parse_port(str(port))


@given(st.text(max_size=12))
@example("٣")
@example("+80")
@example("1_0")
def test_a_port_is_accepted_only_when_it_is_ascii_digits_in_range(text):
    """The parser agrees with the plainest possible definition of a port."""
    plain = text != "" and all(c in "0123456789" for c in text) and len(text) <= 7 and int(text) <= MAX_PORT
    try:
        got = params.parse_port(text)
    except InvalidQuery as error:
        assert not plain
        assert error.parameter == "port"
    else:
        assert plain and got == int(text)


@given(st.integers(0, MAX_PORT), st.integers(0, MAX_PORT))
def test_ranges(a, b):
    low, high = min(a, b), max(a, b)
    assert params.parse_range(f"{low}-{high}") == PortRange(low, high)
    if low != high:
        with pytest.raises(InvalidQuery, match="LOW <= HIGH"):
            params.parse_range(f"{high}-{low}")


@pytest.mark.parametrize("text", ["1-", "-1", "1--2", "1-2-3", "1-٣", "1-+2", "1-70000", "a-b"])
def test_malformed_ranges(text):
    with pytest.raises(InvalidQuery):
        params.parse_range(text, "range")


def test_page_size():
    assert params.parse_page_size("50", most=500) == 50
    assert params.parse_page_size("ALL", most=500, allow_all=True) is None
    with pytest.raises(InvalidQuery, match="or all"):
        params.parse_page_size("501", most=500, allow_all=True)
    with pytest.raises(InvalidQuery):
        params.parse_page_size("all", most=500)
    with pytest.raises(InvalidQuery):
        params.parse_page_size("0", most=500)


def test_bounds_are_in_the_message():
    with pytest.raises(InvalidQuery) as raised:
        params.parse_page("0")
    assert raised.value.parameter == "page"
    assert "from 1 to 1000000" in str(raised.value)


def test_dates():
    assert params.parse_date("2011").first.isoformat() == "2011-01-01"
    assert params.parse_date("2011-08-31", "registered_after").text == "2011-08-31"
    for bad in ["2011-02-30", "2011-13", "20110", "٢٠١١", "2011-8", "", "x" * 10_000]:
        with pytest.raises(InvalidQuery) as raised:
            params.parse_date(bad, "registered_after")
        assert raised.value.parameter == "registered_after"


@given(st.dates())
def test_every_day_parses(day):
    text = day.isoformat()
    if len(text) == 10:
        assert params.parse_date(text).first == day


def test_years():
    assert params.parse_year("2011") == 2011
    for bad in ["211", "20111", "٢٠١١", "+201", "0000"]:
        with pytest.raises(InvalidQuery):
            params.parse_year(bad)


def test_huge_input_is_refused_before_int():
    """More than 4,300 digits make int() raise ValueError; the length check comes first."""
    with pytest.raises(InvalidQuery) as raised:
        params.parse_page("1" * 1_000_000)
    assert len(str(raised.value)) < 200


@pytest.mark.parametrize("where", ["8²/tcp", "٣/tcp", "３/udp", "1" * 5000 + "/tcp", "+80/tcp"])
def test_services_files_take_ascii_ports_only(where):
    """A services(5) line with another script's digit is a FormatError naming the line, not a crash or port 3."""
    from portreg import formats
    from portreg.errors import FormatError

    with pytest.raises(FormatError, match="port/transport"):
        formats.read(f"http {where}\n".encode(), format="services", source="services")


@pytest.mark.parametrize("text", ["٣", "²", "80٣", "1" * 5000])
def test_port_ranges_in_the_model_take_ascii_digits_only(text):
    with pytest.raises(ValueError):
        PortRange.parse(text)
