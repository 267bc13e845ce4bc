"""What a real kube-apiserver checks when `kubectl apply -f crds/` installs our CRDs, and kube's
client-side tooling does not:

* Every `pattern` is compiled with Go's `regexp` (RE2 syntax): a repeat count above 1000,
  look-around or a back-reference makes the API server refuse the whole CRD. We compile each
  pattern with Google's RE2 (PyPI google-re2), which shares Go's limits.

* Every CEL rule (`x-kubernetes-validations`) gets a worst-case cost estimate, and the CRD is
  refused when one rule exceeds 10^7 or all rules together exceed 10^8. The estimate multiplies
  a rule's cost by the largest possible size of every list it iterates and of every list or map
  that encloses the field it sits on, and sizes a list, map or string without
  maxItems / maxProperties / maxLength from the request limit (about 3 MB): nested iteration
  over unbounded collections explodes. kube's `cel` feature evaluates rules but estimates
  nothing, so this file does it, conservatively:

  - the schema must bound every list, map and string of `spec` (so any rule touching any of
    them has a finite estimate);
  - a rule's cost is estimated from its syntax tree: a comprehension (`all`, `exists`,
    `exists_one`, `map`, `filter`) costs its range's maxItems times its body; comparing two
    strings costs the shorter maxLength (what a comparison can read); `x in list` costs the
    list's size times that comparison; `contains`/`matches` the product of both lengths; a
    rule sitting inside lists or maps is multiplied by their maxItems/maxProperties;
  - a rule may cost at most 10^5 and a CRD 10^7 in total: 100x and 10x under the API server's
    budget. The margin is deliberate: the API server's estimate runs higher than this one. A
    real API server (v1.36, shared/API-SERVER.md) refused the dependsOn rule with names of
    maxLength 255 by 1.25x (1.25 * 10^7), which this estimate puts at 2.9 * 10^5 (1.4 * 10^5
    with dependsOn's maxItems at 5, which the server also refused): about 44x lower. It
    accepted the rule at maxLength 64, 7.6 * 10^4 here. At 44x, 10^5 here is 4.4 * 10^6 there,
    under its 10^7.

Measured facts this encodes are in shared/API-SERVER.md; re-measure there after changing crds/.
"""

import math
import re
import unittest
from pathlib import Path

import re2
import yaml

ROOT = Path(__file__).resolve().parents[2]
CRD_FILES = sorted((ROOT / "crds").glob("*.yaml"))

RULE_BUDGET = 10**5
CRD_BUDGET = 10**7


def re2_compile(pattern):
    """Compiles `pattern` with RE2, raising on what Go's regexp refuses (without RE2's own log)."""
    options = re2.Options()
    options.log_errors = False
    return re2.compile(pattern, options)


def schemas():
    """(kind, openAPIV3Schema) of every CRD in crds/."""
    out = []
    for path in CRD_FILES:
        crd = yaml.safe_load(path.read_text(encoding="utf-8"))
        kind = crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            out.append((kind, version["schema"]["openAPIV3Schema"]))
    return out


def walk(node, path="", enclosing=1):
    """Every schema node as (path, node, product of the sizes of the lists/maps around it).

    `enclosing` is None when a list or map around the node is unbounded.
    """
    yield path, node, enclosing
    for name, child in (node.get("properties") or {}).items():
        yield from walk(child, f"{path}.{name}", enclosing)
    if "items" in node:
        size = node.get("maxItems")
        yield from walk(node["items"], f"{path}[]", None if enclosing is None or size is None else enclosing * size)
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        size = node.get("maxProperties")
        yield from walk(extra, f"{path}{{}}", None if enclosing is None or size is None else enclosing * size)


# ------------------------------------------------------------------- CEL parsing

TOKEN = re.compile(
    r"""\s*(?:
        (?P<num>\d+(?:\.\d+)?)
      | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<op>&&|\|\||==|!=|<=|>=|[-+*/%<>!?:.,()\[\]])
    )""",
    re.VERBOSE,
)

BINARY = {"||": 1, "&&": 2, "==": 3, "!=": 3, "<": 3, "<=": 3, ">": 3, ">=": 3, "in": 3,
          "+": 4, "-": 4, "*": 5, "/": 5, "%": 5}
MACROS = {"all", "exists", "exists_one", "map", "filter"}


class CelSyntax(Exception):
    pass


def tokenize(text):
    pos, out = 0, []
    text = text.rstrip()
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise CelSyntax(f"cannot read {text[pos:pos + 20]!r}")
        pos = m.end()
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
    return out


class Parser:
    """A Pratt parser for the CEL our rules use; nodes are tuples."""

    def __init__(self, text):
        self.tokens = tokenize(text)
        self.i = 0

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else (None, None)

    def take(self, value=None):
        tok = self.peek()
        if value is not None and tok[1] != value:
            raise CelSyntax(f"expected {value!r}, got {tok[1]!r}")
        self.i += 1
        return tok

    def parse(self):
        node = self.expr()
        if self.i != len(self.tokens):
            raise CelSyntax(f"trailing {self.peek()[1]!r}")
        return node

    def expr(self):
        cond = self.binary(1)
        if self.peek()[1] == "?":
            self.take("?")
            yes = self.expr()
            self.take(":")
            no = self.expr()
            return ("cond", cond, yes, no)
        return cond

    def binary(self, min_prec):
        left = self.unary()
        while True:
            kind, value = self.peek()
            prec = BINARY.get(value) if kind in ("op", "ident") else None
            if prec is None or prec < min_prec:
                return left
            self.take()
            right = self.binary(prec + 1)
            left = ("bin", value, left, right)

    def unary(self):
        if self.peek()[1] in ("!", "-"):
            op = self.take()[1]
            return ("un", op, self.unary())
        return self.postfix(self.primary())

    def args(self):
        self.take("(")
        out = []
        while self.peek()[1] != ")":
            out.append(self.expr())
            if self.peek()[1] == ",":
                self.take(",")
        self.take(")")
        return out

    def postfix(self, node):
        while True:
            value = self.peek()[1]
            if value == ".":
                self.take(".")
                name = self.take()[1]
                if self.peek()[1] == "(":
                    args = self.args()
                    if name in MACROS:
                        if len(args) != 2 or args[0][0] != "ident":
                            raise CelSyntax(f"macro {name} needs (var, expr)")
                        node = ("macro", name, node, args[0][1], args[1])
                    else:
                        node = ("method", name, node, args)
                else:
                    node = ("select", node, name)
            elif value == "[":
                self.take("[")
                index = self.expr()
                self.take("]")
                node = ("index", node, index)
            else:
                return node

    def primary(self):
        kind, value = self.take()
        if kind == "num":
            # A double literal (0.5) costs what an int does.
            return ("int", float(value) if "." in value else int(value))
        if kind == "str":
            return ("strlit", value[1:-1])
        if value == "(":
            node = self.expr()
            self.take(")")
            return node
        if value == "[":
            items = []
            while self.peek()[1] != "]":
                items.append(self.expr())
                if self.peek()[1] == ",":
                    self.take(",")
            self.take("]")
            return ("list", items)
        if kind == "ident":
            if value in ("true", "false"):
                return ("bool", value == "true")
            if self.peek()[1] == "(":
                return ("call", value, self.args())
            return ("ident", value)
        raise CelSyntax(f"unexpected {value!r}")


# --------------------------------------------------------------- cost estimate

class Unbounded(Exception):
    """A rule touches a list, map or string without a size bound."""


class Val:
    """What an expression is: a schema node, a string of known length, a list, or a scalar."""

    def __init__(self, kind, schema=None, length=None, size=None, item=None, where=""):
        self.kind, self.schema, self.length, self.size, self.item, self.where = kind, schema, length, size, item, where


SCALAR = Val("scalar")


def from_schema(node, where):
    t = node.get("type")
    if t == "string":
        if "maxLength" not in node and "enum" not in node:
            raise Unbounded(f"string {where} has no maxLength")
        length = node.get("maxLength") or max(len(e) for e in node["enum"])
        return Val("string", node, length=length, where=where)
    if t == "array":
        if "maxItems" not in node:
            raise Unbounded(f"list {where} has no maxItems")
        return Val("list", node, size=node["maxItems"], item=lambda: from_schema(node["items"], f"{where}[]"), where=where)
    if t == "object" and isinstance(node.get("additionalProperties"), dict):
        if "maxProperties" not in node:
            raise Unbounded(f"map {where} has no maxProperties")
        # Iterating a map yields its keys; their length is not in the schema, so a rule may
        # only use a key in O(1) ways (size(), startsWith with a literal) or as an index.
        return Val("map", node, size=node["maxProperties"],
                   item=lambda: Val("string", length=None, where=f"{where} key"), where=where)
    if t == "object":
        return Val("object", node, where=where)
    return SCALAR


def compare_cost(a, b):
    """Cost of comparing a with b: the shorter string's length, 1 for scalars."""
    if a.kind == "string" and b.kind == "string":
        lengths = [x.length for x in (a, b) if x.length is not None]
        if not lengths:
            raise Unbounded(f"comparing {a.where} with {b.where}: neither length is bounded")
        return min(lengths)
    if a.kind in ("list", "map", "object") or b.kind in ("list", "map", "object"):
        raise Unbounded(f"comparing composite values {a.where} / {b.where}: cost is the object's size")
    return 1


class Estimator:
    def __init__(self, schema_node, where):
        self.scope = {"self": from_schema(schema_node, where), "oldSelf": from_schema(schema_node, where + " (old)")}

    def cost(self, node):
        """(cost, Val) of evaluating node once."""
        kind = node[0]
        if kind == "int" or kind == "bool":
            return 1, SCALAR
        if kind == "strlit":
            return 1, Val("string", length=len(node[1]), where=repr(node[1]))
        if kind == "ident":
            if node[1] not in self.scope:
                raise CelSyntax(f"unknown identifier {node[1]}")
            return 1, self.scope[node[1]]
        if kind == "list":
            total, items = 1, []
            for item in node[1]:
                c, v = self.cost(item)
                total += c
                items.append(v)
            longest = max((v.length or 0 for v in items), default=0)
            kind_of = items[0].kind if items else "scalar"
            item = Val("string", length=longest, where="literal") if kind_of == "string" else SCALAR
            return total, Val("list", size=len(items), item=lambda: item, where="list literal")
        if kind == "select":
            c, v = self.cost(node[1])
            if v.kind != "object":
                raise CelSyntax(f"select .{node[2]} on {v.kind} {v.where}")
            child = (v.schema.get("properties") or {}).get(node[2])
            if child is None and node[2] == "metadata" and "." not in v.where:
                child = {"type": "object"}  # the root's metadata, implicit in a CRD schema
            if child is None and v.where.endswith(".metadata") and node[2] in ("name", "generateName"):
                # A root rule sees metadata.name and generateName: object names of at most
                # 253 characters (the API server's own schema for them is not in the CRD).
                child = {"type": "string", "maxLength": 253}
            if child is None:
                raise CelSyntax(f"{v.where} has no field {node[2]}")
            return c + 1, from_schema(child, f"{v.where}.{node[2]}")
        if kind == "index":
            c, v = self.cost(node[1])
            ci, _ = self.cost(node[2])
            if v.kind in ("list", "map") and v.schema is not None:
                key = "items" if v.kind == "list" else "additionalProperties"
                return c + ci + 1, from_schema(v.schema[key], f"{v.where}[]")
            if v.kind == "list":
                return c + ci + 1, v.item()
            raise CelSyntax(f"index into {v.kind} {v.where}")
        if kind == "call":
            name, args = node[1], node[2]
            if name == "has":
                if len(args) != 1 or args[0][0] != "select":
                    raise CelSyntax("has() takes a field selection")
                c, _ = self.cost(args[0][1])
                return c + 1, SCALAR
            if name in ("size", "double", "int"):
                # size(x) and the numeric conversions: one step on a scalar result.
                c, _ = self.cost(args[0])
                return c + 1, SCALAR
            if name == "timestamp":
                # timestamp(string): parses the whole string once (RFC 3339), a scalar result.
                c, v = self.cost(args[0])
                if v.length is None:
                    raise Unbounded(f"timestamp() of an unbounded string {v.where}")
                return c + v.length, SCALAR
            raise CelSyntax(f"unknown function {name}")
        if kind == "method":
            name, target, args = node[1], node[2], node[3]
            c, v = self.cost(target)
            costs = [self.cost(a) for a in args]
            c += sum(x for x, _ in costs)
            if name == "size":
                return c + 1, SCALAR
            if name in ("startsWith", "endsWith"):
                # Reads as much of the target as the argument is long.
                arg = costs[0][1]
                if arg.length is None:
                    raise Unbounded(f"{name} with an unbounded argument {arg.where}")
                return c + arg.length, SCALAR
            if name in ("contains", "matches"):
                arg = costs[0][1]
                if v.length is None or arg.length is None:
                    raise Unbounded(f"{name} on {v.where} needs both lengths bounded")
                return c + v.length * arg.length, SCALAR
            if name == "sum":
                if v.kind != "list" or v.size is None:
                    raise Unbounded(f"sum over {v.where}")
                return c + v.size, SCALAR
            if name == "split":
                # Kubernetes' strings library: reads the target once per separator
                # character; at most length + 1 parts, none longer than the target.
                arg = costs[0][1]
                if v.length is None or arg.length is None:
                    raise Unbounded(f"split of {v.where} needs both lengths bounded")
                part = Val("string", length=v.length, where=f"{v.where} part")
                return c + v.length * arg.length, Val("list", size=v.length + 1, item=lambda: part,
                                                      where=f"{v.where}.split()")
            raise CelSyntax(f"unknown method {name}")
        if kind == "macro":
            name, target, var, body = node[1], node[2], node[3], node[4]
            c, v = self.cost(target)
            if v.kind not in ("list", "map"):
                raise CelSyntax(f"{name} over {v.kind} {v.where}")
            saved = self.scope.get(var)
            self.scope[var] = v.item()
            body_cost, body_val = self.cost(body)
            if saved is None:
                del self.scope[var]
            else:
                self.scope[var] = saved
            total = c + v.size * (body_cost + 1)
            if name == "map":
                return total, Val("list", size=v.size, item=lambda: body_val, where=f"{v.where}.map()")
            if name == "filter":
                return total, Val("list", size=v.size, item=v.item, where=f"{v.where}.filter()")
            return total, SCALAR
        if kind == "un":
            c, v = self.cost(node[2])
            return c + 1, SCALAR
        if kind == "cond":
            c0, _ = self.cost(node[1])
            c1, v1 = self.cost(node[2])
            c2, v2 = self.cost(node[3])
            if v1.kind == "string" and v2.kind == "string":
                lengths = [v1.length, v2.length]
                joined = Val("string", length=None if None in lengths else max(lengths), where=f"{v1.where}|{v2.where}")
            else:
                joined = v1
            return c0 + max(c1, c2), joined
        if kind == "bin":
            op, left, right = node[1], node[2], node[3]
            cl, vl = self.cost(left)
            cr, vr = self.cost(right)
            if op in ("&&", "||"):
                return cl + cr, SCALAR
            if op in ("==", "!=", "<", "<=", ">", ">="):
                return cl + cr + compare_cost(vl, vr), SCALAR
            if op == "in":
                if vr.kind != "list" or vr.size is None:
                    raise Unbounded(f"`in` over {vr.where}")
                return cl + cr + vr.size * compare_cost(vl, vr.item()), SCALAR
            return cl + cr + 1, SCALAR
        raise CelSyntax(f"unknown node {kind}")


def rule_costs(kind, schema):
    """[(where, rule, estimated cost)] for every CEL rule of one CRD version."""
    out = []
    for where, node, enclosing in walk(schema, kind):
        for validation in node.get("x-kubernetes-validations") or []:
            rule = validation["rule"]
            if enclosing is None:
                raise Unbounded(f"{where}: rule {rule!r} sits inside an unbounded list or map")
            try:
                cost, _ = Estimator(node, where).cost(Parser(rule).parse())
            except (Unbounded, CelSyntax) as e:
                raise type(e)(f"{where}: rule {rule!r}: {e}") from e
            out.append((where, rule, cost * enclosing))
    return out


# ------------------------------------------------------------------------ tests

class EstimatorTest(unittest.TestCase):
    """The estimator itself, on small schemas, so the CRD tests mean something."""

    names = {"type": "array", "maxItems": 10, "items": {"type": "object", "properties": {
        "name": {"type": "string", "maxLength": 64},
        "refs": {"type": "array", "maxItems": 5, "items": {"type": "string", "maxLength": 64}},
    }}}

    def estimate(self, schema, rule):
        return Estimator(schema, "t").cost(Parser(rule).parse())[0]

    def test_nesting_multiplies_and_strings_cost_their_length(self):
        schema = {"type": "object", "properties": {"xs": self.names}}
        flat = self.estimate(schema, "self.xs.all(x, x.name != 'a')")
        nested = self.estimate(schema, "self.xs.all(x, self.xs.exists_one(y, y.name == x.name))")
        deep = self.estimate(schema, "self.xs.all(x, x.refs.all(r, self.xs.exists(y, y.name == r)))")
        self.assertLess(flat, 100)  # 10 * (compare with a 1-char literal + overhead)
        self.assertGreaterEqual(nested, 10 * 10 * 64)
        self.assertGreaterEqual(deep, 10 * 5 * 10 * 64)

    def test_split_costs_the_target_and_yields_bounded_parts(self):
        schema = {"type": "object", "properties": {"r": {"type": "string", "maxLength": 11}}}
        cost = self.estimate(schema, "int(self.r.split('-')[0]) < int(self.r.split('-')[1])")
        self.assertGreaterEqual(cost, 2 * 11)
        self.assertLess(cost, 100)
        with self.assertRaises(Unbounded):
            self.estimate({"type": "object", "properties": {"r": {"type": "string"}}}, "self.r.split('-')[0] == 'a'")

    def test_timestamp_costs_the_string_it_parses(self):
        schema = {"type": "object", "properties": {"a": {"type": "string", "maxLength": 64},
                                                   "b": {"type": "string", "maxLength": 64}}}
        cost = self.estimate(schema, "timestamp(self.b) > timestamp(self.a)")
        self.assertGreaterEqual(cost, 2 * 64)
        self.assertLess(cost, 200)
        with self.assertRaises(Unbounded):
            self.estimate({"type": "object", "properties": {"a": {"type": "string"}}},
                          "timestamp(self.a) > timestamp(self.a)")

    def test_unbounded_things_are_refused(self):
        for schema, rule in [
            ({"type": "object", "properties": {"xs": {"type": "array", "items": {"type": "string", "maxLength": 3}}}},
             "self.xs.all(x, x == 'a')"),
            ({"type": "object", "properties": {"s": {"type": "string"}}}, "self.s == 'abc'"),
            ({"type": "object", "properties": {"m": {"type": "object", "additionalProperties": {"type": "string"}}}},
             "self.m.all(k, k.startsWith('a'))"),
            ({"type": "object", "properties": {"m": {"type": "object", "maxProperties": 3,
                                                     "additionalProperties": {"type": "string"}}}},
             "self.m.all(k, k == self.m[k])"),
        ]:
            with self.subTest(rule=rule):
                with self.assertRaises(Unbounded):
                    self.estimate(schema, rule)

    def test_enclosing_lists_multiply_a_rule(self):
        inner = {"type": "object", "x-kubernetes-validations": [{"rule": "self.a == 'x'"}],
                 "properties": {"a": {"type": "string", "maxLength": 8}}}
        schema = {"type": "object", "properties": {"l": {"type": "array", "maxItems": 7, "items": {
            "type": "object", "properties": {"m": {"type": "array", "maxItems": 3, "items": inner}}}}}}
        [(where, _, cost)] = rule_costs("T", schema)
        self.assertEqual(where, "T.l[].m[]")
        self.assertEqual(cost, 21 * (1 + 1 + 1 + 1))  # ident, select, literal, compare of 1 char
        schema["properties"]["l"].pop("maxItems")
        with self.assertRaises(Unbounded):
            rule_costs("T", schema)

    def test_parser_reads_operators_with_precedence(self):
        node = Parser("!has(self.a) || self.b in [1, 2] && self.c.size() <= 3 ? 1 : 2").parse()
        self.assertEqual(node[0], "cond")
        self.assertEqual(node[1][1], "||")
        with self.assertRaises(CelSyntax):
            Parser("self.a ==").parse()

    def test_re2_refuses_what_go_refuses(self):
        for bad in ["^a{1,1011}$", "(?=a)b", "(a)\\1", "(?<!a)b"]:
            with self.subTest(pattern=bad):
                with self.assertRaises(Exception):
                    re2_compile(bad)
        re2_compile("^a{1,1000}$")


class CrdAdmissionTest(unittest.TestCase):
    def test_crds_are_present(self):
        kinds = sorted(kind for kind, _ in schemas())
        self.assertEqual(kinds, ["FargateService", "FargateTask", "FargateTenant", "TaskDefinition"])

    def test_every_pattern_compiles_as_re2(self):
        seen = 0
        for kind, schema in schemas():
            for where, node, _ in walk(schema, kind):
                if "pattern" in node:
                    seen += 1
                    with self.subTest(field=where):
                        try:
                            re2_compile(node["pattern"])
                        except Exception as e:  # re2.error's type differs between builds
                            self.fail(f"{where}: pattern {node['pattern']!r} is not RE2: {e}")
        self.assertGreater(seen, 20)

    def test_every_list_map_and_string_of_spec_is_bounded(self):
        problems = []
        for kind, schema in schemas():
            for where, node, _ in walk(schema["properties"]["spec"], f"{kind}.spec"):
                t = node.get("type")
                if t == "string" and "maxLength" not in node and "enum" not in node:
                    problems.append(f"{where}: string without maxLength")
                elif t == "array" and "maxItems" not in node:
                    problems.append(f"{where}: list without maxItems")
                elif t == "object" and isinstance(node.get("additionalProperties"), dict) \
                        and "maxProperties" not in node:
                    problems.append(f"{where}: map without maxProperties")
        self.assertEqual(problems, [], "bound these with AWS's own limits")

    def test_every_rule_fits_the_cost_budget(self):
        report = []
        for kind, schema in schemas():
            costs = rule_costs(kind, schema)
            # The tenant has one rule (it selects namespaces somehow); the others many.
            self.assertGreaterEqual(len(costs), 1 if kind == "FargateTenant" else 6, kind)
            total = sum(c for _, _, c in costs)
            for where, rule, cost in costs:
                if cost > RULE_BUDGET:
                    report.append(f"{where}: {cost} > {RULE_BUDGET}: {rule}")
            if total > CRD_BUDGET:
                report.append(f"{kind}: all rules {total} > {CRD_BUDGET}")
        self.assertEqual(report, [])

    def test_no_rule_iterates_a_list_to_find_duplicates(self):
        # Uniqueness is a list-map key (x-kubernetes-list-type: map): the API server checks it
        # in linear time, where `all` + `exists_one` is quadratic in cost.
        for kind, schema in schemas():
            for where, node, _ in walk(schema, kind):
                for v in node.get("x-kubernetes-validations") or []:
                    with self.subTest(rule=v["rule"]):
                        self.assertNotIn("exists_one", v["rule"], where)


if __name__ == "__main__":
    unittest.main()
