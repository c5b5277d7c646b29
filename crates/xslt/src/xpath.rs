//! XPath 1.0 lexer, parser and AST.

use crate::tree::{Atom, EName, Interner};
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Axis {
    Ancestor,
    AncestorOrSelf,
    Attribute,
    Child,
    Descendant,
    DescendantOrSelf,
    Following,
    FollowingSibling,
    Namespace,
    Parent,
    Preceding,
    PrecedingSibling,
    SelfNode,
}

impl Axis {
    pub fn is_reverse(self) -> bool {
        matches!(
            self,
            Axis::Ancestor | Axis::AncestorOrSelf | Axis::Preceding | Axis::PrecedingSibling
        )
    }
    fn from_name(s: &str) -> Option<Axis> {
        Some(match s {
            "ancestor" => Axis::Ancestor,
            "ancestor-or-self" => Axis::AncestorOrSelf,
            "attribute" => Axis::Attribute,
            "child" => Axis::Child,
            "descendant" => Axis::Descendant,
            "descendant-or-self" => Axis::DescendantOrSelf,
            "following" => Axis::Following,
            "following-sibling" => Axis::FollowingSibling,
            "namespace" => Axis::Namespace,
            "parent" => Axis::Parent,
            "preceding" => Axis::Preceding,
            "preceding-sibling" => Axis::PrecedingSibling,
            "self" => Axis::SelfNode,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum NodeTest {
    /// QName test against the principal node type.
    Name(EName),
    /// `prefix:*`
    NsWildcard(Atom),
    /// `*`
    Any,
    Node,
    Text,
    Comment,
    PI(Option<Arc<str>>),
}

#[derive(Clone, Debug)]
pub struct Step {
    pub axis: Axis,
    pub test: NodeTest,
    pub preds: Vec<Expr>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CoreFn {
    Last,
    Position,
    Count,
    Id,
    LocalName,
    NamespaceUri,
    Name,
    String,
    Concat,
    StartsWith,
    Contains,
    SubstringBefore,
    SubstringAfter,
    Substring,
    StringLength,
    NormalizeSpace,
    Translate,
    Boolean,
    Not,
    True,
    False,
    Lang,
    Number,
    Sum,
    Floor,
    Ceiling,
    Round,
    // XSLT additions
    Document,
    Key,
    FormatNumber,
    Current,
    UnparsedEntityUri,
    GenerateId,
    SystemProperty,
    ElementAvailable,
    FunctionAvailable,
}

impl CoreFn {
    pub fn from_name(s: &str) -> Option<CoreFn> {
        use CoreFn::*;
        Some(match s {
            "last" => Last,
            "position" => Position,
            "count" => Count,
            "id" => Id,
            "local-name" => LocalName,
            "namespace-uri" => NamespaceUri,
            "name" => Name,
            "string" => String,
            "concat" => Concat,
            "starts-with" => StartsWith,
            "contains" => Contains,
            "substring-before" => SubstringBefore,
            "substring-after" => SubstringAfter,
            "substring" => Substring,
            "string-length" => StringLength,
            "normalize-space" => NormalizeSpace,
            "translate" => Translate,
            "boolean" => Boolean,
            "not" => Not,
            "true" => True,
            "false" => False,
            "lang" => Lang,
            "number" => Number,
            "sum" => Sum,
            "floor" => Floor,
            "ceiling" => Ceiling,
            "round" => Round,
            "document" => Document,
            "key" => Key,
            "format-number" => FormatNumber,
            "current" => Current,
            "unparsed-entity-uri" => UnparsedEntityUri,
            "generate-id" => GenerateId,
            "system-property" => SystemProperty,
            "element-available" => ElementAvailable,
            "function-available" => FunctionAvailable,
            _ => return None,
        })
    }

    /// (min, max) argument counts.
    pub fn arity(self) -> (usize, usize) {
        use CoreFn::*;
        match self {
            Last | Position | True | False | Current => (0, 0),
            Count | Id | Boolean | Not | Lang | Sum | Floor | Ceiling | Round
            | UnparsedEntityUri | SystemProperty | ElementAvailable | FunctionAvailable => (1, 1),
            LocalName | NamespaceUri | Name | String | StringLength | NormalizeSpace | Number
            | GenerateId => (0, 1),
            Concat => (2, usize::MAX),
            StartsWith | Contains | SubstringBefore | SubstringAfter | Key => (2, 2),
            Substring => (2, 3),
            Translate => (3, 3),
            Document => (1, 2),
            FormatNumber => (2, 3),
        }
    }
}

#[derive(Clone, Debug)]
pub enum Func {
    Core(CoreFn),
    /// Extension or unknown function: namespace URI and local name; resolved when called.
    Ext(Arc<str>, Arc<str>),
}

#[derive(Clone, Debug)]
pub enum Expr {
    Or(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Cmp(CmpOp, Box<Expr>, Box<Expr>),
    Arith(ArOp, Box<Expr>, Box<Expr>),
    Neg(Box<Expr>),
    Union(Box<Expr>, Box<Expr>),
    Literal(Arc<str>),
    Number(f64),
    /// Variable reference: expanded name and the name as written.
    Var(EName, Arc<str>),
    Call(Func, Vec<Expr>),
    /// Location path; `absolute` starts at the root of the context node's tree.
    Path(bool, Vec<Step>),
    /// Filter expression with predicates and an optional relative path after it.
    Filter(Box<Expr>, Vec<Expr>, Vec<Step>),
    /// Context node (`.`) — a fast path for `self::node()`.
    ContextNode,
}

/// A compiled XPath expression with its source text.
#[derive(Clone, Debug)]
pub struct XPath {
    pub expr: Expr,
    pub text: Arc<str>,
    /// Stylesheet namespace context id (for QName arguments of key(), format-number() ...).
    pub ns: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct XPathSyntaxError {
    pub offset: usize,
    pub message: String,
}

impl std::fmt::Display for XPathSyntaxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (at character {})", self.message, self.offset + 1)
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    LParen,
    RParen,
    LBracket,
    RBracket,
    Dot,
    DotDot,
    At,
    Comma,
    ColonColon,
    Slash,
    SlashSlash,
    Pipe,
    Plus,
    Minus,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// Operator names: and or mod div; and `*` as multiply.
    OpName(&'static str),
    Mul,
    Literal(String),
    Number(f64),
    Var(String),
    /// NameTest: QName, `prefix:*` or `*`
    Name(String),
    /// NCName followed by `(` (function name or node type)
    FuncName(String),
    /// NCName followed by `::`
    AxisName(String),
    End,
}

fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || (c as u32 > 0x7f && !c.is_whitespace())
}
fn is_name_char(c: char) -> bool {
    is_name_start(c) || c.is_ascii_digit() || c == '-' || c == '.' || c == '\u{B7}'
}

fn lex(s: &str) -> Result<Vec<(Tok, usize)>, XPathSyntaxError> {
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let n = chars.len();
    let mut out: Vec<(Tok, usize)> = Vec::new();
    let mut i = 0;
    let at = |i: usize| chars.get(i).map(|c| c.1).unwrap_or('\0');
    let off = |i: usize| chars.get(i).map(|c| c.0).unwrap_or(s.len());
    // Whether the previous token makes `*`/NCName an operator (XPath 3.7 lexical rules).
    let prev_allows_operator = |out: &Vec<(Tok, usize)>| match out.last() {
        None => false,
        Some((t, _)) => !matches!(
            t,
            Tok::At
                | Tok::ColonColon
                | Tok::LParen
                | Tok::LBracket
                | Tok::Comma
                | Tok::OpName(_)
                | Tok::Mul
                | Tok::Slash
                | Tok::SlashSlash
                | Tok::Pipe
                | Tok::Plus
                | Tok::Minus
                | Tok::Eq
                | Tok::Ne
                | Tok::Lt
                | Tok::Le
                | Tok::Gt
                | Tok::Ge
        ),
    };
    while i < n {
        let c = at(i);
        let start = off(i);
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let tok = match c {
            '(' => {
                i += 1;
                Tok::LParen
            }
            ')' => {
                i += 1;
                Tok::RParen
            }
            '[' => {
                i += 1;
                Tok::LBracket
            }
            ']' => {
                i += 1;
                Tok::RBracket
            }
            '@' => {
                i += 1;
                Tok::At
            }
            ',' => {
                i += 1;
                Tok::Comma
            }
            '|' => {
                i += 1;
                Tok::Pipe
            }
            '+' => {
                i += 1;
                Tok::Plus
            }
            '-' => {
                i += 1;
                Tok::Minus
            }
            '=' => {
                i += 1;
                Tok::Eq
            }
            '!' if at(i + 1) == '=' => {
                i += 2;
                Tok::Ne
            }
            '<' => {
                if at(i + 1) == '=' {
                    i += 2;
                    Tok::Le
                } else {
                    i += 1;
                    Tok::Lt
                }
            }
            '>' => {
                if at(i + 1) == '=' {
                    i += 2;
                    Tok::Ge
                } else {
                    i += 1;
                    Tok::Gt
                }
            }
            '/' => {
                if at(i + 1) == '/' {
                    i += 2;
                    Tok::SlashSlash
                } else {
                    i += 1;
                    Tok::Slash
                }
            }
            ':' if at(i + 1) == ':' => {
                i += 2;
                Tok::ColonColon
            }
            '*' => {
                i += 1;
                if prev_allows_operator(&out) {
                    Tok::Mul
                } else {
                    Tok::Name("*".into())
                }
            }
            '"' | '\'' => {
                let q = c;
                let mut j = i + 1;
                while j < n && at(j) != q {
                    j += 1;
                }
                if j >= n {
                    return Err(XPathSyntaxError {
                        offset: start,
                        message: "unterminated string literal".into(),
                    });
                }
                let lit = s[off(i + 1)..off(j)].to_string();
                i = j + 1;
                Tok::Literal(lit)
            }
            '.' if at(i + 1) == '.' => {
                i += 2;
                Tok::DotDot
            }
            '.' if !at(i + 1).is_ascii_digit() => {
                i += 1;
                Tok::Dot
            }
            c if c.is_ascii_digit() || c == '.' => {
                let mut j = i;
                while j < n && at(j).is_ascii_digit() {
                    j += 1;
                }
                if at(j) == '.' {
                    j += 1;
                    while j < n && at(j).is_ascii_digit() {
                        j += 1;
                    }
                }
                // libxml2 accepts an exponent in number literals; so do we.
                if (at(j) == 'e' || at(j) == 'E')
                    && (at(j + 1).is_ascii_digit()
                        || ((at(j + 1) == '-' || at(j + 1) == '+') && at(j + 2).is_ascii_digit()))
                {
                    j += 2;
                    while j < n && at(j).is_ascii_digit() {
                        j += 1;
                    }
                }
                let v: f64 = s[off(i)..off(j)].parse().unwrap_or(f64::NAN);
                i = j;
                Tok::Number(v)
            }
            '$' => {
                let mut j = i + 1;
                if !is_name_start(at(j)) {
                    return Err(XPathSyntaxError {
                        offset: start,
                        message: "expected a variable name after '$'".into(),
                    });
                }
                while j < n && is_name_char(at(j)) {
                    j += 1;
                }
                if at(j) == ':' && is_name_start(at(j + 1)) {
                    j += 1;
                    while j < n && is_name_char(at(j)) {
                        j += 1;
                    }
                }
                let name = s[off(i + 1)..off(j)].to_string();
                i = j;
                Tok::Var(name)
            }
            c if is_name_start(c) => {
                let mut j = i;
                while j < n && is_name_char(at(j)) {
                    j += 1;
                }
                let ncname = &s[off(i)..off(j)];
                if prev_allows_operator(&out) {
                    let op = match ncname {
                        "and" => Some("and"),
                        "or" => Some("or"),
                        "mod" => Some("mod"),
                        "div" => Some("div"),
                        _ => None,
                    };
                    if let Some(op) = op {
                        i = j;
                        out.push((Tok::OpName(op), start));
                        continue;
                    }
                }
                let mut name_end = j;
                let mut is_wild = false;
                if at(j) == ':' && at(j + 1) != ':' {
                    if at(j + 1) == '*' {
                        name_end = j + 2;
                        is_wild = true;
                    } else if is_name_start(at(j + 1)) {
                        let mut k = j + 1;
                        while k < n && is_name_char(at(k)) {
                            k += 1;
                        }
                        name_end = k;
                    }
                }
                let name = s[off(i)..off(name_end)].to_string();
                i = name_end;
                // Look ahead past whitespace for '(' or '::'.
                let mut k = i;
                while k < n && at(k).is_whitespace() {
                    k += 1;
                }
                if !is_wild && at(k) == '(' {
                    Tok::FuncName(name)
                } else if !is_wild && !name.contains(':') && at(k) == ':' && at(k + 1) == ':' {
                    Tok::AxisName(name)
                } else {
                    Tok::Name(name)
                }
            }
            _ => {
                return Err(XPathSyntaxError {
                    offset: start,
                    message: format!("unexpected character '{c}'"),
                });
            }
        };
        out.push((tok, start));
    }
    out.push((Tok::End, s.len()));
    Ok(out)
}

/// Resolves namespace prefixes of QNames in expressions.
pub trait NsResolver {
    fn resolve(&self, prefix: &str) -> Option<String>;
}

pub struct Parser<'a> {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    names: &'a mut Interner,
    ns: &'a dyn NsResolver,
    /// Patterns allow only child/attribute axes; expressions allow all.
    pub pattern_mode: bool,
    /// Depth of the expression tree the last `parse_*` call returned (0 for a step without
    /// predicates). Evaluating, cloning and dropping a tree recurse on its depth, so it is
    /// bounded by [`MAX_DEPTH`].
    last: u32,
    /// Sub-expressions (parentheses, predicates, arguments) currently being parsed.
    nesting: u32,
}

/// Deepest expression tree accepted (operator chains count one level per operator).
/// libxml2 accepts somewhat more, but no real expression comes near this.
pub const MAX_DEPTH: u32 = 1000;
/// Most nested sub-expressions (parentheses, predicates, function arguments) accepted.
pub const MAX_NESTING: u32 = 100;

type PResult<T> = Result<T, XPathSyntaxError>;

/// Builds the node of a binary operator from its operands.
type MakeBinary = fn(Box<Expr>, Box<Expr>) -> Expr;

pub fn parse(text: &str, names: &mut Interner, ns: &dyn NsResolver) -> PResult<XPath> {
    let toks = lex(text)?;
    let mut p = Parser {
        toks,
        pos: 0,
        names,
        ns,
        pattern_mode: false,
        last: 0,
        nesting: 0,
    };
    let e = p.parse_expr()?;
    p.expect_end()?;
    Ok(XPath {
        expr: e,
        text: text.into(),
        ns: 0,
    })
}

impl<'a> Parser<'a> {
    pub fn new(text: &str, names: &'a mut Interner, ns: &'a dyn NsResolver) -> PResult<Self> {
        Ok(Parser {
            toks: lex(text)?,
            pos: 0,
            names,
            ns,
            pattern_mode: false,
            last: 0,
            nesting: 0,
        })
    }

    fn peek(&self) -> &Tok {
        self.toks.get(self.pos).map(|t| &t.0).unwrap_or(&Tok::End)
    }
    fn offset(&self) -> usize {
        self.toks.get(self.pos).map(|t| t.1).unwrap_or(0)
    }
    fn next(&mut self) -> Tok {
        let t = self.peek().clone();
        if self.pos < self.toks.len() {
            self.pos += 1;
        }
        t
    }
    fn err<T>(&self, msg: impl Into<String>) -> PResult<T> {
        Err(XPathSyntaxError {
            offset: self.offset(),
            message: msg.into(),
        })
    }
    fn expect(&mut self, t: Tok, what: &str) -> PResult<()> {
        if *self.peek() == t {
            self.next();
            Ok(())
        } else {
            self.err(format!("expected {what}, found {}", describe(self.peek())))
        }
    }
    pub fn at_end(&self) -> bool {
        *self.peek() == Tok::End
    }
    pub fn expect_end(&self) -> PResult<()> {
        if self.at_end() {
            Ok(())
        } else {
            self.err(format!("unexpected {}", describe(self.peek())))
        }
    }
    pub fn eat_pipe(&mut self) -> bool {
        if *self.peek() == Tok::Pipe {
            self.next();
            true
        } else {
            false
        }
    }

    fn resolve_qname(&mut self, q: &str, use_default: bool) -> PResult<(Atom, Atom)> {
        let (prefix, local) = match q.split_once(':') {
            Some((p, l)) => (p, l),
            None => ("", q),
        };
        let ns = if prefix.is_empty() {
            if use_default {
                self.ns.resolve("").unwrap_or_default()
            } else {
                String::new()
            }
        } else {
            match self.ns.resolve(prefix) {
                Some(u) => u,
                None => return self.err(format!("undefined namespace prefix '{prefix}'")),
            }
        };
        Ok((self.names.atom(&ns), self.names.atom(local)))
    }

    /// One level deeper than `depth`, or an error once the tree gets too deep.
    fn deeper(&self, depth: u32) -> PResult<u32> {
        if depth >= MAX_DEPTH {
            return self.err(format!(
                "expression too deeply nested (more than {MAX_DEPTH} levels of operators and sub-expressions)"
            ));
        }
        Ok(depth + 1)
    }

    pub fn parse_expr(&mut self) -> PResult<Expr> {
        if self.nesting >= MAX_NESTING {
            return self.err(format!(
                "expression too deeply nested (more than {MAX_NESTING} nested sub-expressions)"
            ));
        }
        self.nesting += 1;
        let e = self.parse_binary(1);
        self.nesting -= 1;
        e
    }

    /// The binary operator at the current token and its precedence (XPath 1.0 §3.4-3.5:
    /// `or` < `and` < equality < relational < additive < multiplicative).
    fn binary_op(&self) -> Option<(u8, MakeBinary)> {
        Some(match self.peek() {
            Tok::OpName("or") => (1, Expr::Or as MakeBinary),
            Tok::OpName("and") => (2, Expr::And),
            Tok::Eq => (3, |a, b| Expr::Cmp(CmpOp::Eq, a, b)),
            Tok::Ne => (3, |a, b| Expr::Cmp(CmpOp::Ne, a, b)),
            Tok::Lt => (4, |a, b| Expr::Cmp(CmpOp::Lt, a, b)),
            Tok::Le => (4, |a, b| Expr::Cmp(CmpOp::Le, a, b)),
            Tok::Gt => (4, |a, b| Expr::Cmp(CmpOp::Gt, a, b)),
            Tok::Ge => (4, |a, b| Expr::Cmp(CmpOp::Ge, a, b)),
            Tok::Plus => (5, |a, b| Expr::Arith(ArOp::Add, a, b)),
            Tok::Minus => (5, |a, b| Expr::Arith(ArOp::Sub, a, b)),
            Tok::Mul => (6, |a, b| Expr::Arith(ArOp::Mul, a, b)),
            Tok::OpName("div") => (6, |a, b| Expr::Arith(ArOp::Div, a, b)),
            Tok::OpName("mod") => (6, |a, b| Expr::Arith(ArOp::Mod, a, b)),
            _ => return None,
        })
    }

    /// Precedence climbing over the binary operators, all left-associative: one frame per
    /// precedence level actually used, so a parenthesised sub-expression costs a handful of
    /// frames rather than one per grammar rule.
    fn parse_binary(&mut self, min: u8) -> PResult<Expr> {
        let mut l = self.parse_unary()?;
        let mut d = self.last;
        while let Some((prec, make)) = self.binary_op().filter(|(p, _)| *p >= min) {
            self.next();
            let r = self.parse_binary(prec + 1)?;
            d = self.deeper(d.max(self.last))?;
            l = make(Box::new(l), Box::new(r));
        }
        self.last = d;
        Ok(l)
    }

    fn parse_unary(&mut self) -> PResult<Expr> {
        // A run of minus signs is one negation or none: `- - -x` is `-x`. Counting them keeps
        // the parser from recursing once per sign.
        let mut minus = 0usize;
        while *self.peek() == Tok::Minus {
            self.next();
            minus += 1;
        }
        let mut e = self.parse_path()?;
        let mut d = self.last;
        while *self.peek() == Tok::Pipe {
            self.next();
            let r = self.parse_path()?;
            d = self.deeper(d.max(self.last))?;
            e = Expr::Union(Box::new(e), Box::new(r));
        }
        self.last = d;
        if minus == 0 {
            return Ok(e);
        }
        self.last = self.deeper(self.last)?;
        let neg = Expr::Neg(Box::new(e));
        if minus % 2 == 1 {
            return Ok(neg);
        }
        // An even run still converts its operand to a number: -(-x).
        self.last = self.deeper(self.last)?;
        Ok(Expr::Neg(Box::new(neg)))
    }

    fn starts_primary(&self) -> bool {
        match self.peek() {
            Tok::Var(_) | Tok::LParen | Tok::Literal(_) | Tok::Number(_) => true,
            Tok::FuncName(n) => !matches!(
                n.as_str(),
                "node" | "text" | "comment" | "processing-instruction"
            ),
            _ => false,
        }
    }

    fn parse_path(&mut self) -> PResult<Expr> {
        if self.starts_primary() {
            let prim = self.parse_primary()?;
            let mut d = self.last;
            let mut preds = Vec::new();
            while *self.peek() == Tok::LBracket {
                preds.push(self.parse_predicate()?);
                d = d.max(self.last);
            }
            let mut steps = Vec::new();
            loop {
                match self.peek() {
                    Tok::Slash => {
                        self.next();
                        steps.push(self.parse_step()?);
                    }
                    Tok::SlashSlash => {
                        self.next();
                        steps.push(desc_or_self());
                        steps.push(self.parse_step()?);
                    }
                    _ => break,
                }
                d = d.max(self.last);
            }
            if preds.is_empty() && steps.is_empty() {
                self.last = d;
                return Ok(prim);
            }
            self.last = self.deeper(d)?;
            optimize_steps(&mut steps);
            return Ok(Expr::Filter(Box::new(prim), preds, steps));
        }
        self.parse_location_path()
    }

    fn parse_location_path(&mut self) -> PResult<Expr> {
        let mut steps = Vec::new();
        let absolute;
        let mut d = 0;
        self.last = 0;
        match self.peek() {
            Tok::Slash => {
                self.next();
                absolute = true;
                if self.starts_step() {
                    steps.push(self.parse_step()?);
                } else {
                    self.last = 1;
                    return Ok(Expr::Path(true, steps));
                }
            }
            Tok::SlashSlash => {
                self.next();
                absolute = true;
                steps.push(desc_or_self());
                steps.push(self.parse_step()?);
            }
            _ => {
                absolute = false;
                if !self.starts_step() {
                    return self.err(format!(
                        "expected an expression, found {}",
                        describe(self.peek())
                    ));
                }
                steps.push(self.parse_step()?);
            }
        }
        d = d.max(self.last);
        loop {
            match self.peek() {
                Tok::Slash => {
                    self.next();
                    steps.push(self.parse_step()?);
                }
                Tok::SlashSlash => {
                    self.next();
                    steps.push(desc_or_self());
                    steps.push(self.parse_step()?);
                }
                _ => break,
            }
            d = d.max(self.last);
        }
        self.last = self.deeper(d)?;
        if !absolute
            && steps.len() == 1
            && steps[0].axis == Axis::SelfNode
            && steps[0].test == NodeTest::Node
            && steps[0].preds.is_empty()
        {
            return Ok(Expr::ContextNode);
        }
        optimize_steps(&mut steps);
        Ok(Expr::Path(absolute, steps))
    }

    fn starts_step(&self) -> bool {
        match self.peek() {
            Tok::Dot | Tok::DotDot | Tok::At | Tok::Name(_) | Tok::AxisName(_) => true,
            Tok::FuncName(n) => matches!(
                n.as_str(),
                "node" | "text" | "comment" | "processing-instruction"
            ),
            _ => false,
        }
    }

    /// Parses a step; afterwards `last` is the depth of its deepest predicate (0 if none).
    pub fn parse_step(&mut self) -> PResult<Step> {
        self.last = 0;
        match self.peek() {
            Tok::Dot => {
                self.next();
                return Ok(Step {
                    axis: Axis::SelfNode,
                    test: NodeTest::Node,
                    preds: vec![],
                });
            }
            Tok::DotDot => {
                self.next();
                return Ok(Step {
                    axis: Axis::Parent,
                    test: NodeTest::Node,
                    preds: vec![],
                });
            }
            _ => {}
        }
        let axis = match self.peek().clone() {
            Tok::At => {
                self.next();
                Axis::Attribute
            }
            Tok::AxisName(a) => {
                self.next();
                self.next(); // ::
                match Axis::from_name(&a) {
                    Some(ax) => ax,
                    None => return self.err(format!("unknown axis '{a}'")),
                }
            }
            _ => Axis::Child,
        };
        let test = self.parse_node_test(axis)?;
        let mut preds = Vec::new();
        let mut d = 0;
        while *self.peek() == Tok::LBracket {
            preds.push(self.parse_predicate()?);
            d = d.max(self.last);
        }
        self.last = d;
        Ok(Step { axis, test, preds })
    }

    fn parse_node_test(&mut self, _axis: Axis) -> PResult<NodeTest> {
        match self.next() {
            Tok::Name(n) => {
                if n == "*" {
                    Ok(NodeTest::Any)
                } else if let Some(p) = n.strip_suffix(":*") {
                    let uri = match self.ns.resolve(p) {
                        Some(u) => u,
                        None => {
                            self.pos -= 1;
                            return self.err(format!("undefined namespace prefix '{p}'"));
                        }
                    };
                    Ok(NodeTest::NsWildcard(self.names.atom(&uri)))
                } else {
                    self.pos -= 1;
                    let (ns, l) = self.resolve_qname(&n, false)?;
                    self.pos += 1;
                    Ok(NodeTest::Name(self.names.ename(ns, l)))
                }
            }
            Tok::FuncName(n) => {
                self.expect(Tok::LParen, "'('")?;
                let t = match n.as_str() {
                    "node" => NodeTest::Node,
                    "text" => NodeTest::Text,
                    "comment" => NodeTest::Comment,
                    "processing-instruction" => {
                        if let Tok::Literal(l) = self.peek().clone() {
                            self.next();
                            NodeTest::PI(Some(l.as_str().into()))
                        } else {
                            NodeTest::PI(None)
                        }
                    }
                    _ => return self.err(format!("'{n}' is not a node type")),
                };
                self.expect(Tok::RParen, "')'")?;
                Ok(t)
            }
            t => {
                self.pos -= 1;
                self.err(format!("expected a node test, found {}", describe(&t)))
            }
        }
    }

    fn parse_predicate(&mut self) -> PResult<Expr> {
        self.expect(Tok::LBracket, "'['")?;
        let e = self.parse_expr()?;
        self.expect(Tok::RBracket, "']'")?;
        Ok(e)
    }

    fn parse_primary(&mut self) -> PResult<Expr> {
        let off = self.offset();
        match self.next() {
            Tok::Var(v) => {
                let (ns, l) = {
                    self.pos -= 1;
                    let r = self.resolve_qname(&v, false)?;
                    self.pos += 1;
                    r
                };
                self.last = 1;
                Ok(Expr::Var(self.names.ename(ns, l), v.as_str().into()))
            }
            Tok::LParen => {
                let e = self.parse_expr()?;
                self.expect(Tok::RParen, "')'")?;
                Ok(e)
            }
            Tok::Literal(l) => {
                self.last = 1;
                Ok(Expr::Literal(l.as_str().into()))
            }
            Tok::Number(n) => {
                self.last = 1;
                Ok(Expr::Number(n))
            }
            Tok::FuncName(name) => {
                self.expect(Tok::LParen, "'('")?;
                let mut args = Vec::new();
                let mut d = 0;
                if *self.peek() != Tok::RParen {
                    loop {
                        args.push(self.parse_expr()?);
                        d = d.max(self.last);
                        if *self.peek() == Tok::Comma {
                            self.next();
                        } else {
                            break;
                        }
                    }
                }
                self.expect(Tok::RParen, "')' or ','")?;
                let func = if let Some((p, l)) = name.split_once(':') {
                    let uri = match self.ns.resolve(p) {
                        Some(u) => u,
                        None => {
                            return Err(XPathSyntaxError {
                                offset: off,
                                message: format!("undefined namespace prefix '{p}'"),
                            });
                        }
                    };
                    Func::Ext(uri.as_str().into(), l.into())
                } else {
                    match CoreFn::from_name(&name) {
                        Some(f) => {
                            let (min, max) = f.arity();
                            if args.len() < min || args.len() > max {
                                return Err(XPathSyntaxError {
                                    offset: off,
                                    message: format!(
                                        "function {name}() called with {} argument{}",
                                        args.len(),
                                        if args.len() == 1 { "" } else { "s" }
                                    ),
                                });
                            }
                            Func::Core(f)
                        }
                        None => Func::Ext("".into(), name.as_str().into()),
                    }
                };
                self.last = self.deeper(d)?;
                Ok(Expr::Call(func, args))
            }
            t => {
                self.pos -= 1;
                self.err(format!("unexpected {}", describe(&t)))
            }
        }
    }

    /// Pattern support: parse a function-call-like start (id/key) in patterns.
    pub fn peek_func_name(&self) -> Option<String> {
        if let Tok::FuncName(n) = self.peek() {
            Some(n.clone())
        } else {
            None
        }
    }
    pub fn parse_primary_pub(&mut self) -> PResult<Expr> {
        self.parse_primary()
    }
    pub fn peek_slash(&self) -> Option<bool> {
        match self.peek() {
            Tok::Slash => Some(false),
            Tok::SlashSlash => Some(true),
            _ => None,
        }
    }
    pub fn advance(&mut self) {
        self.next();
    }
    pub fn starts_step_pub(&self) -> bool {
        self.starts_step()
    }
    pub fn error_here<T>(&self, msg: &str) -> PResult<T> {
        self.err(msg.to_string())
    }
}

fn desc_or_self() -> Step {
    Step {
        axis: Axis::DescendantOrSelf,
        test: NodeTest::Node,
        preds: vec![],
    }
}

/// True when a predicate can never depend on position (so `//x[p]` equals `descendant::x[p]`).
pub fn pred_is_positional(e: &Expr) -> bool {
    match e {
        Expr::Number(_) | Expr::Var(..) | Expr::Arith(..) | Expr::Neg(_) => true,
        Expr::Call(Func::Core(f), args) => {
            matches!(
                f,
                CoreFn::Last
                    | CoreFn::Position
                    | CoreFn::Number
                    | CoreFn::Sum
                    | CoreFn::Floor
                    | CoreFn::Ceiling
                    | CoreFn::Round
                    | CoreFn::Count
                    | CoreFn::StringLength
            ) || args.iter().any(uses_position)
        }
        Expr::Call(Func::Ext(..), _) => true,
        Expr::Or(a, b) | Expr::And(a, b) | Expr::Cmp(_, a, b) => {
            uses_position(a) || uses_position(b)
        }
        Expr::Filter(..)
        | Expr::Path(..)
        | Expr::Union(..)
        | Expr::Literal(_)
        | Expr::ContextNode => false,
    }
}

/// Whether position()/last() occurs outside nested predicates / path steps.
pub fn uses_position(e: &Expr) -> bool {
    match e {
        Expr::Call(Func::Core(CoreFn::Last | CoreFn::Position), _) => true,
        Expr::Call(_, args) => args.iter().any(uses_position),
        Expr::Or(a, b) | Expr::And(a, b) | Expr::Cmp(_, a, b) | Expr::Arith(_, a, b) => {
            uses_position(a) || uses_position(b)
        }
        Expr::Union(a, b) => uses_position(a) || uses_position(b),
        Expr::Neg(a) => uses_position(a),
        Expr::Filter(p, _, _) => uses_position(p),
        _ => false,
    }
}

/// Rewrites `descendant-or-self::node()/child::X[p]` to `descendant::X[p]` when no
/// predicate is positional: same result, no intermediate node-set.
fn optimize_steps(steps: &mut Vec<Step>) {
    let mut i = 0;
    while i + 1 < steps.len() {
        let s = &steps[i];
        if s.axis == Axis::DescendantOrSelf && s.test == NodeTest::Node && s.preds.is_empty() {
            let nxt = &steps[i + 1];
            if nxt.axis == Axis::Child && !nxt.preds.iter().any(pred_is_positional) {
                steps.remove(i);
                steps[i].axis = Axis::Descendant;
                continue;
            }
        }
        i += 1;
    }
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::End => "end of expression".into(),
        Tok::Literal(l) => format!("string \"{l}\""),
        Tok::Number(n) => format!("number {n}"),
        Tok::Name(n) | Tok::FuncName(n) | Tok::AxisName(n) => format!("name '{n}'"),
        Tok::Var(v) => format!("variable ${v}"),
        Tok::OpName(o) => format!("operator '{o}'"),
        other => format!("'{}'", tok_text(other)),
    }
}

fn tok_text(t: &Tok) -> &'static str {
    match t {
        Tok::LParen => "(",
        Tok::RParen => ")",
        Tok::LBracket => "[",
        Tok::RBracket => "]",
        Tok::Dot => ".",
        Tok::DotDot => "..",
        Tok::At => "@",
        Tok::Comma => ",",
        Tok::ColonColon => "::",
        Tok::Slash => "/",
        Tok::SlashSlash => "//",
        Tok::Pipe => "|",
        Tok::Plus => "+",
        Tok::Minus => "-",
        Tok::Eq => "=",
        Tok::Ne => "!=",
        Tok::Lt => "<",
        Tok::Le => "<=",
        Tok::Gt => ">",
        Tok::Ge => ">=",
        Tok::Mul => "*",
        _ => "?",
    }
}
