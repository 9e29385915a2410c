package nmfio

import (
	"fmt"
	"strconv"
)

// A small parser for the Python literals of an .npy header: a dict with
// string keys whose values are strings, True/False/None, integers, and
// tuples or lists of those (a structured dtype's descr is a list of
// tuples). Nesting is limited so that no header can exhaust the stack.

type pyKind int

const (
	pyStr pyKind = iota + 1
	pyInt
	pyBool
	pyNone
	pyTuple
	pyList
)

type pyValue struct {
	kind  pyKind
	s     string
	n     int64
	b     bool
	items []pyValue
}

const pyMaxDepth = 16

type pyParser struct {
	s   string
	pos int
}

// parsePyDict parses a header dict; the message is empty on success.
// Duplicate keys keep the last value, as Python does.
func parsePyDict(s string) (map[string]pyValue, string) {
	p := &pyParser{s: s}
	p.space()
	if !p.eat('{') {
		return nil, "not a Python dict literal"
	}
	dict := map[string]pyValue{}
	for {
		p.space()
		if p.eat('}') {
			break
		}
		key, msg := p.value(1)
		if msg != "" {
			return nil, msg
		}
		if key.kind != pyStr {
			return nil, fmt.Sprintf("dict key at byte %d is not a string", p.pos)
		}
		p.space()
		if !p.eat(':') {
			return nil, fmt.Sprintf("expected ':' at byte %d", p.pos)
		}
		val, msg := p.value(1)
		if msg != "" {
			return nil, msg
		}
		dict[key.s] = val
		p.space()
		if p.eat('}') {
			break
		}
		if !p.eat(',') {
			return nil, fmt.Sprintf("expected ',' or '}' at byte %d", p.pos)
		}
	}
	p.space()
	if p.pos != len(p.s) {
		return nil, fmt.Sprintf("unexpected %q after the dict", p.s[p.pos:min(len(p.s), p.pos+10)])
	}
	return dict, ""
}

func (p *pyParser) space() {
	for p.pos < len(p.s) {
		switch p.s[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *pyParser) eat(c byte) bool {
	if p.pos < len(p.s) && p.s[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

func (p *pyParser) value(depth int) (pyValue, string) {
	if depth > pyMaxDepth {
		return pyValue{}, "literal nested too deeply"
	}
	p.space()
	if p.pos >= len(p.s) {
		return pyValue{}, "unexpected end of the dict"
	}
	start := p.pos
	switch c := p.s[p.pos]; {
	case c == '\'' || c == '"':
		p.pos++
		for p.pos < len(p.s) && p.s[p.pos] != c {
			if p.s[p.pos] == '\\' {
				return pyValue{}, fmt.Sprintf("unsupported escape in the string at byte %d", start)
			}
			if p.s[p.pos] == '\n' {
				break
			}
			p.pos++
		}
		if p.pos >= len(p.s) || p.s[p.pos] != c {
			return pyValue{}, fmt.Sprintf("unterminated string at byte %d", start)
		}
		p.pos++
		return pyValue{kind: pyStr, s: p.s[start+1 : p.pos-1]}, ""
	case c == '(' || c == '[':
		closer, kind := byte(')'), pyTuple
		if c == '[' {
			closer, kind = ']', pyList
		}
		p.pos++
		v := pyValue{kind: kind}
		for {
			p.space()
			if p.eat(closer) {
				return v, ""
			}
			item, msg := p.value(depth + 1)
			if msg != "" {
				return pyValue{}, msg
			}
			v.items = append(v.items, item)
			p.space()
			if p.eat(closer) {
				return v, ""
			}
			if !p.eat(',') {
				return pyValue{}, fmt.Sprintf("expected ',' or %q at byte %d", closer, p.pos)
			}
		}
	case c == '-' || c == '+' || '0' <= c && c <= '9':
		p.pos++
		for p.pos < len(p.s) && '0' <= p.s[p.pos] && p.s[p.pos] <= '9' {
			p.pos++
		}
		lit := p.s[start:p.pos]
		if p.pos < len(p.s) && (p.s[p.pos] == 'L' || p.s[p.pos] == 'l') { // Python 2 long
			p.pos++
		}
		n, err := strconv.ParseInt(lit, 10, 64)
		if err != nil {
			return pyValue{}, fmt.Sprintf("bad integer %q at byte %d", lit, start)
		}
		return pyValue{kind: pyInt, n: n}, ""
	default:
		for p.pos < len(p.s) && ('a' <= p.s[p.pos] && p.s[p.pos] <= 'z' || 'A' <= p.s[p.pos] && p.s[p.pos] <= 'Z') {
			p.pos++
		}
		switch word := p.s[start:p.pos]; word {
		case "True":
			return pyValue{kind: pyBool, b: true}, ""
		case "False":
			return pyValue{kind: pyBool}, ""
		case "None":
			return pyValue{kind: pyNone}, ""
		}
		return pyValue{}, fmt.Sprintf("unexpected %q at byte %d", p.s[start:min(len(p.s), start+10)], start)
	}
}
