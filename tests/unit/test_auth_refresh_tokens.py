"""The spelling of a refresh token (issue 16, finding 12): only the ASCII form auth issues is
read; a non-ASCII digit or MAC is a 7001 refusal, never a 500 nor the genuine token."""

from __future__ import annotations

import pytest

from parley.contracts.errors import ErrorCode, ParleyError
from parley_auth.sessions import _parse

CODE = "wnoEPG9WLSJ4pbKM"
MAC = "xBqCUm5Fhx_1u2PMmFxg09yHqgRmqsWJY56_R7VXtRk"


def test_the_issued_spelling_is_read() -> None:
    assert _parse(f"{CODE}.0.{MAC}") == (CODE, 0, MAC)
    assert _parse(f"{CODE}.417.{MAC}") == (CODE, 417, MAC)


@pytest.mark.parametrize(
    "token",
    [
        f"{CODE}.\u0660.{MAC}",  # Arabic-Indic zero: int() reads 0, so it passed for the genuine token
        f"{CODE}.\uff11.{MAC}",  # fullwidth one
        f"{CODE}.\u00b2.{MAC}",  # superscript two: isdigit() but not int() (a 500)
        f"{CODE}.0.{MAC[:-1]}\u00e9",  # non-ASCII MAC: hmac.compare_digest raised TypeError (a 500)
        f"{CODE}.00.{MAC}",
        f"{CODE}.-1.{MAC}",
        f"{CODE}.{'9' * 19}.{MAC}",  # beyond an int64 generation
        f"{CODE}.0.{MAC}.x",
        f"{CODE}\u200b.0.{MAC}",
        f"{CODE}.0.{MAC}\n",
        "..",
        "",
    ],
)
def test_any_other_spelling_is_an_invalid_token(token: str) -> None:
    with pytest.raises(ParleyError) as refused:
        _parse(token)
    assert refused.value.code == ErrorCode.TOKEN_INVALID
