"""A typed formula in x and y, parsed by a whitelisted recursive-descent parser of our own into an
expression tree, then compiled into a small program that one Numba kernel evaluates with exact
first and second derivatives (forward mode). No user text ever reaches eval, exec, compile or sympy.

    >>> program, latex, canonical = compile_formula("(1 - x)**2 + 100*(y - x**2)**2")

The language: x, y, numbers, + - * / ** (or ^), unary minus, parentheses, the functions of
FUNCTIONS and the constants pi and e. Anything else raises ValueError with the reason and, where
there is one, the 1-based position.
"""

import math
import re

from . import _kernels as K

MAX_LENGTH = 500  # characters
MAX_DEPTH = 40  # nesting of parentheses, calls, powers and signs
MAX_NODES = 200  # operations in the compiled program
MAX_EXPONENT = 100  # |constant exponent|: x**100 is a formula, 9**9**9 is not
FUNCTIONS = {"sin": K.OP_SIN, "cos": K.OP_COS, "tan": K.OP_TAN, "exp": K.OP_EXP, "log": K.OP_LOG,
             "sqrt": K.OP_SQRT, "abs": K.OP_ABS, "tanh": K.OP_TANH, "sinh": K.OP_SINH, "cosh": K.OP_COSH,
             "arctan": K.OP_ARCTAN}
CONSTANTS = {"pi": math.pi, "e": math.e}
_FOLD = {"sin": math.sin, "cos": math.cos, "tan": math.tan, "exp": math.exp, "log": math.log, "sqrt": math.sqrt,
         "abs": abs, "tanh": math.tanh, "sinh": math.sinh, "cosh": math.cosh, "arctan": math.atan}
_LATEX = {"sin": r"\sin", "cos": r"\cos", "tan": r"\tan", "exp": r"\exp", "log": r"\ln", "tanh": r"\tanh",
          "sinh": r"\sinh", "cosh": r"\cosh", "arctan": r"\arctan"}
# Typographic characters a formula copied from a page may carry.
_TYPOGRAPHY = str.maketrans({"−": "-", "×": "*", "·": "*", "⋅": "*"})
_TOKEN = re.compile(r"\s*(?:(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_]\w*)"
                    r"|(?P<op>\*\*|[-+*/^()]))")


class FormulaError(ValueError):
    """A formula that is not one: the reason and, where there is one, the 1-based position."""

    def __init__(self, reason, position=None):
        self.reason, self.position = reason, position
        super().__init__(reason if position is None else f"{reason} (at position {position})")


def _tokens(text):
    position, tokens = 0, []
    while position < len(text):
        if text[position:].isspace():
            break
        match = _TOKEN.match(text, position)
        if match is None:
            where = position + len(text[position:]) - len(text[position:].lstrip())
            raise FormulaError(f"unexpected character {text[where]!r}", where + 1)
        kind = match.lastgroup
        tokens.append((kind, match.group(kind), match.start(kind) + 1))
        position = match.end()
    tokens.append(("end", "", len(text) + 1))
    return tokens


class _Parser:
    """expr := term (± term)*; term := unary ((*|/) unary)*; unary := ± unary | power;
    power := atom ((**|^) unary)?  (right-associative; −x**2 is −(x²), as in Python);
    atom := number | x | y | pi | e | function '(' expr ')' | '(' expr ')'.
    Nodes: ("num", value), ("x",), ("y",), ("neg", a), ("add"|"sub"|"mul"|"div"|"pow", a, b),
    ("call", name, a); each with its position last."""

    def __init__(self, tokens):
        self.tokens, self.at, self.depth = tokens, 0, 0

    def peek(self):
        return self.tokens[self.at]

    def take(self):
        token = self.tokens[self.at]
        self.at += 1
        return token

    def deeper(self, position):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FormulaError(f"nested too deeply (at most {MAX_DEPTH} levels)", position)

    def expect(self, value):
        kind, text, position = self.take()
        if text != value:
            found = "the end of the formula" if kind == "end" else repr(text)
            raise FormulaError(f"expected {value!r}, found {found}", position)

    def expr(self):
        node = self.term()
        while self.peek()[1] in ("+", "-"):
            _, op, position = self.take()
            node = ("add" if op == "+" else "sub", node, self.term(), position)
        return node

    def term(self):
        node = self.unary()
        while self.peek()[1] in ("*", "/"):
            _, op, position = self.take()
            node = ("mul" if op == "*" else "div", node, self.unary(), position)
        return node

    def unary(self):
        kind, text, position = self.peek()
        if kind == "op" and text in ("+", "-"):
            self.take()
            self.deeper(position)
            operand = self.unary()
            self.depth -= 1
            return operand if text == "+" else ("neg", operand, position)
        return self.power()

    def power(self):
        base = self.atom()
        kind, text, position = self.peek()
        if kind == "op" and text in ("**", "^"):
            self.take()
            self.deeper(position)
            exponent = self.unary()
            self.depth -= 1
            return ("pow", base, exponent, position)
        return base

    def atom(self):
        kind, text, position = self.take()
        if kind == "number":
            value = float(text)
            if not math.isfinite(value):
                raise FormulaError(f"the number {text[:20]!r} is too large", position)
            return ("num", value, position)
        if kind == "name":
            name = text.lower() if text.lower() in (*FUNCTIONS, *CONSTANTS) else text
            if name in ("x", "y"):
                return (name, position)
            if name in CONSTANTS:
                return ("num", CONSTANTS[name], position)
            if name in FUNCTIONS:
                if self.peek()[1] != "(":
                    raise FormulaError(f"{name} needs its argument in parentheses, e.g. {name}(x)", position)
                self.take()
                self.deeper(position)
                argument = self.expr()
                self.depth -= 1
                self.expect(")")
                return ("call", name, argument, position)
            shown = text if len(text) <= 20 else text[:19] + "…"
            raise FormulaError(f"unknown name {shown!r}: use x, y, pi, e and the functions "
                               f"{', '.join(FUNCTIONS)}", position)
        if text == "(":
            self.deeper(position)
            node = self.expr()
            self.depth -= 1
            self.expect(")")
            return node
        found = "the end of the formula" if kind == "end" else repr(text)
        raise FormulaError(f"expected a number, x, y or '(', found {found}", position)


def parse(text):
    """The expression tree of `text` (see _Parser), or FormulaError."""
    if not isinstance(text, str):
        raise FormulaError("a formula is text")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"too long: {len(text)} characters, at most {MAX_LENGTH}")
    text = text.translate(_TYPOGRAPHY)
    if not text.strip():
        raise FormulaError("the formula is empty")
    depth = 0
    for position, character in enumerate(text, 1):  # before any recursion: 5 000 '(' stop here
        depth += (character == "(") - (character == ")")
        if depth > MAX_DEPTH:
            raise FormulaError(f"nested too deeply (at most {MAX_DEPTH} levels)", position)
    parser = _Parser(_tokens(text))
    tree = parser.expr()
    kind, leftover, position = parser.peek()
    if kind != "end":
        hint = " (write * between factors, e.g. 2*x)" if kind in ("number", "name") or leftover == "(" else ""
        raise FormulaError(f"unexpected {leftover!r}{hint}", position)
    return tree


# ----------------------------------------------------------------------------- constants and the program

def _constant(node):
    return node[1] if node[0] == "num" else None


def _fold(node):
    """Constant subexpressions become numbers; a power's exponent is checked for size; a power
    with a variable exponent becomes exp(b·log a)."""
    kind, position = node[0], node[-1]
    if kind in ("num", "x", "y"):
        return node
    try:
        if kind == "neg":
            a = _fold(node[1])
            return ("num", -a[1], position) if a[0] == "num" else ("neg", a, position)
        if kind == "call":
            a = _fold(node[2])
            if a[0] == "num":
                return ("num", _FOLD[node[1]](a[1]), position)
            return ("call", node[1], a, position)
        a, b = _fold(node[1]), _fold(node[2])
        ca, cb = _constant(a), _constant(b)
        if kind == "pow":
            if cb is not None:
                if abs(cb) > MAX_EXPONENT:
                    raise FormulaError(f"the exponent {cb:.6g} is too large (at most {MAX_EXPONENT} in size)",
                                       position)
                if ca is not None:
                    return ("num", math.pow(ca, cb), position)
                return ("pow", a, b, position)
            # a variable exponent: a**b = exp(b·ln a), real where a > 0
            return ("call", "exp", ("mul", b, ("call", "log", a, position), position), position)
        if ca is not None and cb is not None:
            value = {"add": ca + cb, "sub": ca - cb, "mul": ca * cb}.get(kind)
            return ("num", ca / cb if kind == "div" else value, position)
        return (kind, a, b, position)
    except ZeroDivisionError:
        raise FormulaError("division by zero", position) from None
    except OverflowError:
        raise FormulaError("a constant in the formula is too large", position) from None
    except ValueError as error:
        if isinstance(error, FormulaError):
            raise
        raise FormulaError("a constant in the formula has no real value (e.g. log of a negative number)",
                           position) from None


_BINARY = {"add": K.OP_ADD, "sub": K.OP_SUB, "mul": K.OP_MUL, "div": K.OP_DIV}


def _program(tree):
    """The tree as instructions (op, a, b, c): a and b index earlier instructions, c is a constant.
    Identical subexpressions are computed once."""
    instructions, seen = [], {}

    def emit(instruction):
        if instruction not in seen:
            if len(instructions) >= MAX_NODES:
                raise FormulaError(f"too many operations (at most {MAX_NODES})")
            seen[instruction] = len(instructions)
            instructions.append(instruction)
        return seen[instruction]

    def walk(node):
        kind = node[0]
        if kind == "num":
            return emit((K.OP_CONST, 0, 0, float(node[1])))
        if kind == "x":
            return emit((K.OP_X, 0, 0, 0.0))
        if kind == "y":
            return emit((K.OP_Y, 0, 0, 0.0))
        if kind == "neg":
            return emit((K.OP_NEG, walk(node[1]), 0, 0.0))
        if kind == "call":
            return emit((FUNCTIONS[node[1]], walk(node[2]), 0, 0.0))
        if kind == "pow":  # the exponent is a constant here (see _fold)
            return emit((K.OP_POWC, walk(node[1]), 0, float(node[2][1])))
        return emit((_BINARY[kind], walk(node[1]), walk(node[2]), 0.0))

    walk(tree)
    return instructions


# ----------------------------------------------------------------------------- text and LaTeX

_PRECEDENCE = {"add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 3, "pow": 4}


def _number_text(value):
    return {math.pi: "pi", math.e: "e"}.get(value, format(value, ".15g"))


def _text(node, parent=0, right=False):
    """The tree written back as a formula (the canonical text, for links and exports)."""
    kind = node[0]
    if kind == "num":
        return _number_text(node[1]) if node[1] >= 0 or parent == 0 else f"({_number_text(node[1])})"
    if kind in ("x", "y"):
        return kind
    if kind == "call":
        return f"{node[1]}({_text(node[2])})"
    level = _PRECEDENCE[kind]
    if kind == "neg":
        out = "-" + _text(node[1], level)
    else:
        symbol = {"add": " + ", "sub": " - ", "mul": "*", "div": "/", "pow": "**"}[kind]
        if kind == "pow":  # right-associative
            out = _text(node[1], level + 1) + symbol + _text(node[2], level)
        else:
            out = _text(node[1], level) + symbol + _text(node[2], level + 1 if kind in ("sub", "div") else level)
    return f"({out})" if level < parent or (right and level == parent) else out


def _latex(node, parent=0):
    kind = node[0]
    if kind == "num":
        value = node[1]
        text = {math.pi: r"\pi", math.e: "e"}.get(value, format(value, ".6g"))
        if "e" in text and text != "e":
            mantissa, exponent = text.split("e")
            text = rf"{mantissa}\cdot 10^{{{int(exponent)}}}"
        return text if value >= 0 or parent == 0 else rf"\left({text}\right)"
    if kind in ("x", "y"):
        return kind
    if kind == "call":
        name, argument = node[1], _latex(node[2])
        if name == "sqrt":
            return rf"\sqrt{{{argument}}}"
        if name == "abs":
            return rf"\left|{argument}\right|"
        return rf"{_LATEX[name]}\left({argument}\right)"
    level = _PRECEDENCE[kind]
    if kind == "div":
        return rf"\frac{{{_latex(node[1])}}}{{{_latex(node[2])}}}"
    if kind == "pow":
        base = _latex(node[1], level + 1)
        out = f"{{{base}}}^{{{_latex(node[2])}}}"
    elif kind == "neg":
        out = "-" + _latex(node[1], level)
    elif kind == "mul":
        left, right = _latex(node[1], level), _latex(node[2], level)
        out = left + (r"\cdot " if right[:1].isdigit() or right.startswith(r"\left(") and left[-1:].isdigit()
                      else r"\," ) + right
    else:
        out = _latex(node[1], level) + (" + " if kind == "add" else " - ") + _latex(node[2], level + 1)
    return rf"\left({out}\right)" if level < parent else out


def compile_formula(text):
    """(program, LaTeX, canonical text) of a formula: the program is a flat float64-ready list,
    [n, op, a, b, c, …] (see surfaces/_kernels.py, FORMULA)."""
    tree = _fold(parse(text))
    if tree[0] == "num":
        raise FormulaError("the formula is a constant: it needs x or y")
    instructions = _program(tree)
    program = [float(len(instructions))] + [float(v) for instruction in instructions for v in instruction]
    return program, _latex(tree), _text(tree)
