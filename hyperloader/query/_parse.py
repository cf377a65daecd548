"""Lucene text -> luqum parse tree, with luqum's errors turned into ``QuerySyntaxError``.

luqum's PLY parser is a module-level singleton that is not thread safe, so parsing runs
under a lock; after a syntax error the parser's state stack is still in place, which is
how the message can say which tokens would have been accepted.

luqum's grammar wants a bare term after ``>``, ``>=``, ``<`` and ``<=``, so ``>=-5`` is a
syntax error there (the ``-`` lexes as the prohibit operator). The token stream is
patched instead of the text: a sign glued to the term after a comparison becomes part of
that term. Such a sign is a syntax error otherwise, so no valid query changes meaning,
and terms such as ``car-red`` or ``2021-05-01`` never contain a separate sign token.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from typing import Any

from luqum import parser as _luqum
from luqum.exceptions import IllegalCharacterError, ParseSyntaxError
from luqum.tree import Item

from hyperloader._locks import ForkSafeLock
from hyperloader.errors import QuerySyntaxError

__all__ = ["parse_lucene"]

_LOCK = ForkSafeLock()
_LEXER = _luqum.lexer.clone()
_AT_POSITION = re.compile(r"at position (\d+)")
_UNEXPECTED = re.compile(r"unexpected\s+'(.*)' at position \d+", re.DOTALL)
_TERM_START = frozenset({"TERM", "PHRASE", "LPAREN"})
_COMPARISONS = frozenset({"GREATERTHAN", "LESSTHAN"})
_SIGNS = frozenset({"MINUS", "PLUS"})
_SIGN_HINT = "write a signed bound as >=-5 or <-2.5, with the sign right before the number"


def parse_lucene(text: str) -> Item:
    """Parse Lucene query text into a luqum tree.

    Raises:
        QuerySyntaxError: the text is empty or malformed; ``position`` points at the
            offending character (the end of the text for a premature end).
    """
    if not text.strip():
        raise QuerySyntaxError(text, "empty query (use '*:*' to match everything)", 0)
    with _LOCK:
        try:
            return _luqum.parser.parse(text, lexer=_LEXER, tokenfunc=_signed_bounds(_LEXER))
        except IllegalCharacterError as exc:
            pos = _position(exc, text)
            raise QuerySyntaxError(text, _illegal_reason(text[pos]), pos) from None
        except ParseSyntaxError as exc:
            pos = _position(exc, text)
            found = _UNEXPECTED.search(str(exc))
            token = found.group(1) if found else text[pos:pos + 1]
            expected = _expected_tokens()
        # luqum raises other ValueErrors for inconsistent trees; they carry no position
        except ValueError as exc:
            raise QuerySyntaxError(text, str(exc)) from None
    raise QuerySyntaxError(text, _syntax_reason(text, pos, token, expected), pos)


def _signed_bounds(lexer: Any) -> Callable[[], Any]:
    """Wrap ``lexer.token`` so that ``>=`` ``-`` ``5`` reaches the parser as ``>=`` ``-5``."""
    pending: deque[Any] = deque()

    def token() -> Any:
        if pending:
            return pending.popleft()
        tok = lexer.token()
        if tok is None or tok.type not in _COMPARISONS:
            return tok
        sign = lexer.token()
        if sign is None or sign.type not in _SIGNS:
            pending.append(sign)
            return tok
        term = lexer.token()
        if term is not None and term.type == "TERM" and term.lexpos == sign.lexpos + 1:
            # the Word object stays the one the lexer tracks, so its tail whitespace lands
            word = term.value
            word.value = sign.value.value + word.value
            word.pos, word.size = sign.lexpos, word.size + 1
            word.head = sign.value.head
            term.lexpos = sign.lexpos
            pending.append(term)
        else:
            pending.extend(t for t in (sign, term) if t is not None)
        return tok

    return token


def _position(exc: Exception, text: str) -> int:
    match = _AT_POSITION.search(str(exc))
    return int(match.group(1)) if match else len(text)


def _expected_tokens() -> frozenset[str]:
    stack = getattr(_luqum.parser, "statestack", None)
    if not stack:
        return frozenset()
    return frozenset(_luqum.parser.action.get(stack[-1], {}))


def _illegal_reason(char: str) -> str:
    if char == '"':
        return "unterminated phrase: this '\"' is never closed"
    if char == "/":
        return "unterminated regular expression: this '/' is never closed"
    if char == "'":
        return "single quotes are not supported; write phrases in double quotes"
    return f"unexpected character {char!r}"


def _open_brackets(text: str) -> list[tuple[str, int]]:
    """List the brackets still open at the end of ``text``, ignoring phrases and escapes."""
    stack: list[tuple[str, int]] = []
    i, in_phrase = 0, False
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == '"':
            in_phrase = not in_phrase
        elif not in_phrase and char in "([{":
            stack.append((char, i))
        elif not in_phrase and char in ")]}" and stack:
            stack.pop()
        i += 1
    return stack


def _syntax_reason(text: str, pos: int, token: str, expected: frozenset[str]) -> str:
    if pos >= len(text):
        reason = "unexpected end of query"
        opened = _open_brackets(text)
        if opened:
            char, at = opened[-1]
            closer = "')'" if char == "(" else "']' or '}'"
            return f"{reason}: expected {closer} to close the {char!r} at position {at}"
    else:
        if token == ")" and not any(c == "(" for c, _ in _open_brackets(text[:pos])):
            return "unmatched ')'"
        reason = f"unexpected {token!r}"
        if token in ("+", "-") and re.search(r"[<>]=?\s*$", text[:pos]):
            return f"{reason}: {_SIGN_HINT}"
    if {"TO", "RBRACKET"} <= expected:  # LALR merges both states; the text tells them apart
        starts = [at for char, at in _open_brackets(text[:pos]) if char in "[{"]
        has_to = bool(starts) and re.search(r"\bTO\b", text[starts[-1]:pos])
        expected = expected - {"TO" if has_to else "RBRACKET"}
    wanted = _describe(expected)
    return f"{reason}: expected {wanted}" if wanted else reason


def _describe(expected: frozenset[str]) -> str:
    parts = []
    if _TERM_START <= expected:
        parts.append("a term, a \"phrase\", a [range] or '('")
    elif "TERM" in expected or "PHRASE" in expected:
        parts.append("a value")
    if "TO" in expected and "TERM" not in expected:
        parts.append("'TO'")
    if "RBRACKET" in expected:
        parts.append("']' or '}'")
    if "RPAREN" in expected:
        parts.append("')'")
    return " or ".join(parts)
