package alerting

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"
	"time"
)

// templateData is what annotation templates see. As in Prometheus,
// $value and $labels are also defined, so annotations written for a
// Prometheus rule ({{ $value }}, {{ $labels.team }}) work unchanged.
type templateData struct {
	Rule      string
	Value     float64
	Threshold float64
	Window    time.Duration
	Labels    Labels
	State     string

	// work is the budget of the execution in progress: the bounded
	// functions parseTemplate puts in a template find it through $.
	work templateWork
}

// Bounds of annotation templates. An annotation is a line or a paragraph
// in a notification; these are far above that and far below what hurts a
// process. See parseTemplate for how they make every execution finish.
const (
	// maxTemplateText is the longest annotation template, in bytes.
	maxTemplateText = 64 << 10
	// maxTemplateOutput is the most one execution writes, and the longest
	// string a function (printf, print, html, ...) may return, in bytes.
	maxTemplateOutput = 64 << 10
	// maxTemplateSteps is the work one execution may do: every iteration
	// of a range costs the number of parse nodes in its body, and strings
	// built or compared cost one step per 64 bytes.
	maxTemplateSteps = 100_000
	// maxFormatBound is the most a bounded printf (print, html, ...) may
	// build before its result is measured: calls whose worst case exceeds
	// it are refused without formatting.
	maxFormatBound = 4 << 20
)

// maxRulesTemplateSteps is the work all annotation templates of one
// ValidateRules call (and so of one rule file alerting/rulefile loads) may do
// together (a variable so that tests can lower it).
var maxRulesTemplateSteps int64 = 5_000_000

var (
	errTemplateSteps  = fmt.Errorf("template does too much work (more than %d steps: range iterations times the size of the loop body, and built strings)", maxTemplateSteps)
	errTemplateOutput = fmt.Errorf("template output is longer than %d bytes", maxTemplateOutput)
	errRulesSteps     = errors.New("the annotation templates of the rule set do too much work together")
)

// templateWork counts the steps of one execution.
type templateWork struct {
	armed bool
	left  int64
	rules *int64 // steps left for a whole rule set being validated; nil when rendering
}

func (w *templateWork) charge(n int64) error {
	w.left -= n
	if w.left < 0 {
		return errTemplateSteps
	}
	if w.rules != nil {
		if *w.rules -= n; *w.rules < 0 {
			return errRulesSteps
		}
	}
	return nil
}

// workOf returns the budget of the execution whose root data is d (the
// value of $ in the template).
func workOf(d any) (*templateWork, error) {
	td, ok := d.(*templateData)
	if !ok || !td.work.armed {
		return nil, errors.New("annotation templates run only with the evaluator's data")
	}
	return &td.work, nil
}

var templateFuncs = template.FuncMap{
	// humanize renders a value with three significant digits.
	"humanize": func(v float64) string { return strconv.FormatFloat(v, 'g', 3, 64) },
	// percent renders a ratio as a percentage: 0.0512 → "5.12%".
	"percent": func(v float64) string { return strconv.FormatFloat(v*100, 'f', 2, 64) + "%" },
	// duration renders seconds as a Go duration: 0.8 → "800ms".
	"duration": func(v float64) string {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Sprint(v)
		}
		// As Prometheus writes it: "850ms", "1.511s", "2m5s".
		if math.Abs(v) < 1 {
			return strconv.FormatFloat(v*1000, 'g', 4, 64) + "ms"
		}
		return time.Duration(v * float64(time.Second)).Round(time.Millisecond).String()
	},
	// humanizePercentage and humanizeDuration are Prometheus' names for
	// percent and duration, so templates can be copied from Prometheus
	// rules (and the Prometheus export writes them back).
	"humanizePercentage": func(v float64) string { return strconv.FormatFloat(v*100, 'f', 2, 64) + "%" },
	"humanizeDuration": func(v float64) string {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Sprint(v)
		}
		// As Prometheus writes it: "850ms", "1.511s", "2m5s".
		if math.Abs(v) < 1 {
			return strconv.FormatFloat(v*1000, 'g', 4, 64) + "ms"
		}
		return time.Duration(v * float64(time.Second)).Round(time.Millisecond).String()
	},
}

// reservedPrefix starts the names of the functions parseTemplate inserts;
// a template may not call them itself.
const reservedPrefix = "_igmon"

// boundedBuiltins maps the builtins that build strings to the bounded
// versions parseTemplate calls instead, with the multiplier of their
// escaping (html and js write at most 6 bytes per input byte, urlquery 3).
var boundedBuiltins = map[string]struct {
	name string
	mult int
	fn   func(...any) string
}{
	"print":    {reservedPrefix + "Print", 1, fmt.Sprint},
	"println":  {reservedPrefix + "Println", 1, fmt.Sprintln},
	"html":     {reservedPrefix + "HTML", 6, template.HTMLEscaper},
	"js":       {reservedPrefix + "JS", 6, template.JSEscaper},
	"urlquery": {reservedPrefix + "URLQuery", 3, template.URLQueryEscaper},
}

// chargedBuiltins compare or hash their arguments, in time proportional
// to their length: parseTemplate charges each argument's length.
var chargedBuiltins = map[string]bool{"eq": true, "ne": true, "lt": true, "le": true, "gt": true, "ge": true, "index": true}

// sandboxFuncs are the functions parseTemplate inserts. Each takes $ first
// to find the execution's budget.
var sandboxFuncs = func() template.FuncMap {
	m := template.FuncMap{
		reservedPrefix + "Range":  rangeCharge,
		reservedPrefix + "Arg":    argCharge,
		reservedPrefix + "Printf": boundedPrintf,
	}
	for _, b := range boundedBuiltins {
		mult, fn := b.mult, b.fn
		m[b.name] = func(d any, args ...any) (string, error) {
			n := len(args)
			for _, a := range args {
				n += argSize(a)
			}
			return boundedString(d, n, n*mult, func() string { return fn(args...) })
		}
	}
	return m
}()

// rangeCharge is appended to the pipeline of every range: it charges the
// iterations times the size of the body before the first one runs.
func rangeCharge(d any, weight int, v any) (any, error) {
	w, err := workOf(d)
	if err != nil {
		return nil, err
	}
	var n int64
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Invalid:
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n = max(rv.Int(), 0)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n = int64(min(rv.Uint(), math.MaxInt64))
	case reflect.Map, reflect.Slice, reflect.Array:
		n = int64(rv.Len())
	case reflect.Pointer:
		if rv.Elem().Kind() == reflect.Array {
			n = int64(rv.Elem().Len())
		}
	default:
		return nil, fmt.Errorf("range over %s is not supported in annotations", rv.Kind())
	}
	weight = max(weight, 1)
	if n > w.left/int64(weight) {
		w.left = -1
		return nil, errTemplateSteps
	}
	if err := w.charge(1 + n*int64(weight)); err != nil {
		return nil, err
	}
	return v, nil
}

// argCharge passes a value through, charging its length: an argument of
// a comparison, or what a field or method of the data returned.
func argCharge(d any, v any) (any, error) {
	w, err := workOf(d)
	if err != nil {
		return nil, err
	}
	n := int64(1)
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.String:
		n += int64(rv.Len()) / 64
	case reflect.Map, reflect.Slice:
		n += int64(rv.Len()) // built by a method such as Labels.Clone
	}
	return v, w.charge(n)
}

// boundedString runs fn, which reads in bytes of arguments and builds at
// most bound bytes, when bound is at most maxFormatBound, and refuses a
// result longer than maxTemplateOutput; it charges one step per 64 bytes
// read and built (formatting .Labels costs as much as the labels are
// long, even with "%.0s").
func boundedString(d any, in, bound int, fn func() string) (string, error) {
	w, err := workOf(d)
	if err != nil {
		return "", err
	}
	if err := w.charge(1 + int64(in)/64); err != nil {
		return "", err
	}
	if bound > maxFormatBound {
		return "", fmt.Errorf("the result could be longer than %d bytes", maxTemplateOutput)
	}
	s := fn()
	if err := w.charge(int64(len(s)) / 64); err != nil {
		return "", err
	}
	if len(s) > maxTemplateOutput {
		return "", fmt.Errorf("the result is longer than %d bytes", maxTemplateOutput)
	}
	return s, nil
}

func boundedPrintf(d any, format string, args ...any) (string, error) {
	in := len(format)
	for _, a := range args {
		in += argSize(a)
	}
	return boundedString(d, in, printfBound(format, args), func() string { return fmt.Sprintf(format, args...) })
}

// argSize is about the length of a's %v form: exact for strings, an upper
// bound for numbers, measured for the rest (labels, the template data),
// whose size the evaluator bounds.
func argSize(a any) int {
	switch v := a.(type) {
	case nil, bool:
		return 5
	case string:
		return len(v)
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, uintptr,
		float32, float64, complex64, complex128, time.Duration:
		return 64
	}
	return len(fmt.Sprint(a))
}

// printfBound is an upper bound of the length of fmt.Sprintf(format,
// args...), computed without formatting: every verb writes at most its
// width and precision plus 8 bytes per byte of the longest argument (%x,
// %q, "% #x" expand) plus a float's 309 digits, and fmt may append every
// argument after the text (%!(EXTRA ...)). A width taken from an argument
// (*) counts as fmt's largest, 1e6.
func printfBound(format string, args []any) int {
	longest, sum := 0, 0
	for _, a := range args {
		n := argSize(a)
		longest, sum = max(longest, n), sum+n
	}
	bound := len(format) + 8*sum + 32*len(args)
	for i := 0; i < len(format) && bound <= maxFormatBound; i++ {
		if format[i] != '%' {
			continue
		}
		bound += 400 + 8*longest
		num := 0
	verb:
		for i++; i < len(format); i++ {
			switch c := format[i]; {
			case c >= '0' && c <= '9':
				num = min(num*10+int(c-'0'), 1<<30)
			case c == '*':
				bound += 1e6
			case strings.IndexByte("+-# .[]", c) >= 0:
				bound, num = bound+num, 0
			default:
				break verb // the verb, or the second % of %%
			}
		}
		bound += num
	}
	return bound
}

// limitWriter fails a write that would pass max bytes.
type limitWriter struct {
	b    *strings.Builder
	left int
}

func (w *limitWriter) Write(p []byte) (int, error) {
	if len(p) > w.left {
		return 0, errTemplateOutput
	}
	w.left -= len(p)
	return w.b.Write(p)
}

// templatePrelude defines Prometheus' template variables. It is one line
// with no text output, so error positions on later lines stay exact.
const templatePrelude = `{{- $value := .Value -}}{{- $labels := .Labels -}}`

// parseTemplate parses an annotation and bounds what executing it can
// cost, whatever the data:
//
//   - the text is at most maxTemplateText bytes;
//   - define, block and template are refused, so there is one template
//     and no recursion, and $ is always the *templateData (declaring or
//     assigning $ is refused);
//   - every range charges its iterations times the size of its body to
//     the execution's budget (maxTemplateSteps) before it starts, so a
//     loop over 100000000 or over .Window (an int64 of nanoseconds) fails
//     at once instead of running;
//   - print, printf, println, html, js and urlquery are replaced with
//     versions that compute an upper bound of their result first and
//     refuse one above maxFormatBound, refuse results longer than
//     maxTemplateOutput and charge the bytes they build; eq, ne, lt, le,
//     gt, ge and index charge the length of their arguments;
//   - render and checkTemplate write through a limitWriter of
//     maxTemplateOutput bytes.
//
// Every other node runs at most once per charged step and costs at most
// the length of a string the template holds (bounded by the text or by
// maxTemplateOutput), so an execution ends after O(maxTemplateSteps)
// nodes and allocates O(maxTemplateSteps × 64) bytes.
func parseTemplate(name, text string) (*template.Template, error) {
	if len(text) > maxTemplateText {
		return nil, fmt.Errorf("template is longer than %d bytes", maxTemplateText)
	}
	t, err := template.New(name).Funcs(templateFuncs).Funcs(sandboxFuncs).Option("missingkey=zero").Parse(templatePrelude + text)
	if err != nil {
		return nil, templateError(err)
	}
	if len(t.Templates()) > 1 {
		return nil, fmt.Errorf("template: %s: define and block are not supported in annotations", name)
	}
	if err := sandbox(t.Tree.Root); err != nil {
		return nil, fmt.Errorf("template: %s: %w", name, err)
	}
	return t, nil
}

// sandbox refuses what parseTemplate does not allow and rewrites n as it
// describes.
func sandbox(n parse.Node) error {
	var err error
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		if err != nil || n == nil {
			return
		}
		switch n := n.(type) {
		case *parse.ListNode:
			if n == nil {
				return
			}
			for _, c := range n.Nodes {
				walk(c)
			}
		case *parse.ActionNode:
			walk(n.Pipe)
		case *parse.IfNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.WithNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.RangeNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
			if err == nil {
				n.Pipe.Cmds = append(n.Pipe.Cmds, sandboxCall(n.Pos, "Range", max(1, countNodes(n.List))))
			}
		case *parse.TemplateNode:
			err = fmt.Errorf("template and block are not supported in annotations (line %d)", n.Line)
		case *parse.PipeNode:
			if n == nil {
				return
			}
			for _, v := range n.Decl {
				if v.Ident[0] == "$" {
					err = errors.New("declaring or assigning $ is not supported in annotations")
					return
				}
			}
			cmds := make([]*parse.CommandNode, 0, len(n.Cmds))
			for i, c := range n.Cmds {
				walk(c)
				if i > 0 && isCall(c, chargedBuiltins) {
					// The piped value becomes the last argument.
					cmds = append(cmds, sandboxCall(c.Pos, "Arg", -1))
				}
				cmds = append(cmds, c)
				if len(c.Args) > 0 && callsDataMethod(c.Args[0]) {
					// .Labels.String costs as much as the labels
					// are long: charge what it returns.
					cmds = append(cmds, sandboxCall(c.Pos, "Arg", -1))
				}
			}
			n.Cmds = cmds
		case *parse.CommandNode:
			for _, a := range n.Args {
				walk(a)
			}
			if err != nil || len(n.Args) == 0 {
				return
			}
			firstCharged := len(n.Args) // the first argument charged as compared
			if id, ok := n.Args[0].(*parse.IdentifierNode); ok {
				if b, ok := boundedBuiltins[id.Ident]; ok || id.Ident == "printf" {
					name := b.name
					if id.Ident == "printf" {
						name = reservedPrefix + "Printf"
					}
					n.Args = append([]parse.Node{parse.NewIdentifier(name).SetPos(id.Pos), dollar(id.Pos)}, n.Args[1:]...)
				}
				switch {
				case id.Ident == "index":
					firstCharged = 2 // the keys, not the collection
				case chargedBuiltins[id.Ident]:
					firstCharged = 1
				}
			}
			for i, a := range n.Args {
				if i == 0 {
					continue
				}
				wrap := callsDataMethod(a)
				if i >= firstCharged {
					// A literal costs no more than the other side of the
					// comparison, which is charged.
					switch a.(type) {
					case *parse.FieldNode, *parse.ChainNode, *parse.VariableNode, *parse.PipeNode, *parse.DotNode:
						wrap = true
					}
				}
				if wrap {
					n.Args[i] = &parse.PipeNode{NodeType: parse.NodePipe, Pos: a.Position(), Cmds: []*parse.CommandNode{
						{NodeType: parse.NodeCommand, Pos: a.Position(), Args: []parse.Node{a}},
						sandboxCall(a.Position(), "Arg", -1),
					}}
				}
			}
		case *parse.IdentifierNode:
			if strings.HasPrefix(n.Ident, reservedPrefix) {
				err = fmt.Errorf("function %q is reserved", n.Ident)
			}
		case *parse.ChainNode:
			walk(n.Node)
		case *parse.TextNode, *parse.CommentNode, *parse.BreakNode, *parse.ContinueNode, *parse.BoolNode,
			*parse.NilNode, *parse.NumberNode, *parse.StringNode, *parse.DotNode, *parse.FieldNode, *parse.VariableNode:
		default:
			// A construct a later Go adds (a new loop?) is refused until
			// the sandbox knows what it costs.
			err = fmt.Errorf("%s is not supported in annotations", n)
		}
	}
	walk(n)
	return err
}

// isFieldAccess reports whether evaluating n reads a field or calls a
// method: .Labels.team, $.Labels.String, (x).Window.
func isFieldAccess(n parse.Node) bool {
	switch n := n.(type) {
	case *parse.FieldNode, *parse.ChainNode:
		return true
	case *parse.VariableNode:
		return len(n.Ident) > 1
	}
	return false
}

// callsDataMethod reports whether evaluating n may call a method of the
// data (.Labels.String, $labels.Clone, .Window.Minutes): a name in its
// field chain is one of dataMethods. Reading a field or a label is cheap
// and left alone.
func callsDataMethod(n parse.Node) bool {
	var names []string
	switch n := n.(type) {
	case *parse.FieldNode:
		names = n.Ident
	case *parse.ChainNode:
		names = n.Field
	case *parse.VariableNode:
		names = n.Ident[1:]
	}
	for _, name := range names {
		if dataMethods[name] {
			return true
		}
	}
	return false
}

// dataMethods are the names of the methods of every type a template can
// reach from templateData (Labels.String, time.Duration.Minutes, ...).
var dataMethods = func() map[string]bool {
	names := map[string]bool{}
	seen := map[reflect.Type]bool{}
	var visit func(t reflect.Type)
	visit = func(t reflect.Type) {
		if seen[t] {
			return
		}
		seen[t] = true
		for _, tt := range []reflect.Type{t, reflect.PointerTo(t)} {
			for i := range tt.NumMethod() {
				m := tt.Method(i)
				names[m.Name] = true
				for j := range m.Type.NumOut() {
					visit(m.Type.Out(j))
				}
			}
		}
		switch t.Kind() {
		case reflect.Struct:
			for i := range t.NumField() {
				if f := t.Field(i); f.IsExported() {
					visit(f.Type)
				}
			}
		case reflect.Map:
			visit(t.Key())
			visit(t.Elem())
		case reflect.Slice, reflect.Array, reflect.Pointer:
			visit(t.Elem())
		}
	}
	visit(reflect.TypeFor[templateData]())
	return names
}()

func isCall(c *parse.CommandNode, names map[string]bool) bool {
	if len(c.Args) == 0 {
		return false
	}
	id, ok := c.Args[0].(*parse.IdentifierNode)
	return ok && names[id.Ident]
}

func dollar(pos parse.Pos) *parse.VariableNode {
	return &parse.VariableNode{NodeType: parse.NodeVariable, Pos: pos, Ident: []string{"$"}}
}

// sandboxCall returns the command "_igmon<fn> $" followed by weight when
// it is not negative.
func sandboxCall(pos parse.Pos, fn string, weight int) *parse.CommandNode {
	args := []parse.Node{parse.NewIdentifier(reservedPrefix + fn).SetPos(pos), dollar(pos)}
	if weight >= 0 {
		args = append(args, &parse.NumberNode{NodeType: parse.NodeNumber, Pos: pos, IsInt: true, Int64: int64(weight), Text: strconv.Itoa(weight)})
	}
	return &parse.CommandNode{NodeType: parse.NodeCommand, Pos: pos, Args: args}
}

// callSteps is what a function or method call adds to its node's step.
const callSteps = 7

// countNodes is the number of parse nodes under n, calls counting 1 +
// callSteps: the steps one run of n is charged.
func countNodes(n parse.Node) int {
	c := 1
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return 0
		}
		for _, x := range n.Nodes {
			c += countNodes(x)
		}
	case *parse.ActionNode:
		c += countNodes(n.Pipe)
	case *parse.IfNode:
		c += countNodes(n.Pipe) + countNodes(n.List) + countNodes(n.ElseList)
	case *parse.WithNode:
		c += countNodes(n.Pipe) + countNodes(n.List) + countNodes(n.ElseList)
	case *parse.RangeNode:
		c += countNodes(n.Pipe) + countNodes(n.List) + countNodes(n.ElseList)
	case *parse.PipeNode:
		if n == nil {
			return 0
		}
		c += len(n.Decl)
		for _, x := range n.Cmds {
			c += countNodes(x)
		}
	case *parse.CommandNode:
		for _, x := range n.Args {
			c += countNodes(x)
		}
		if len(n.Args) > 0 {
			if _, ok := n.Args[0].(*parse.IdentifierNode); ok || isFieldAccess(n.Args[0]) {
				// A call costs several times what a node does
				// (Labels.String sorts, formats and allocates).
				c += callSteps
			}
		}
	case *parse.ChainNode:
		c += countNodes(n.Node)
	}
	return c
}

var (
	firstLinePos = regexp.MustCompile(`^(template: .*?:1:)(\d+):`)
	// sandboxText undoes parseTemplate's rewriting in error messages, so
	// that they quote the template as written.
	sandboxText = func() *strings.Replacer {
		pairs := []string{
			"error calling " + reservedPrefix + "Range: ", "",
			"error calling " + reservedPrefix + "Arg: ", "",
			reservedPrefix + "Printf $ ", "printf ",
			reservedPrefix + "Printf $", "printf",
			reservedPrefix + "Printf", "printf",
		}
		for name, b := range boundedBuiltins {
			pairs = append(pairs, b.name+" $ ", name+" ", b.name+" $", name, b.name, name)
		}
		return strings.NewReplacer(pairs...)
	}()
	sandboxRange = regexp.MustCompile(`<` + reservedPrefix + `Range \$ \d+>`)
	sandboxArg   = regexp.MustCompile(`\(([^()]*) \| ` + reservedPrefix + `Arg \$\)|<` + reservedPrefix + `Arg \$>`)
)

// templateError removes the prelude from an error's text and column, so
// that the position points into the annotation as the user wrote it, and
// the functions parseTemplate inserted, so that the text reads as written.
func templateError(err error) error {
	msg := strings.ReplaceAll(err.Error(), templatePrelude, "")
	msg = sandboxRange.ReplaceAllString(msg, "<range>")
	msg = sandboxArg.ReplaceAllString(msg, "$1")
	msg = sandboxText.Replace(msg)
	msg = firstLinePos.ReplaceAllStringFunc(msg, func(m string) string {
		sub := firstLinePos.FindStringSubmatch(m)
		col, _ := strconv.Atoi(sub[2])
		return sub[1] + strconv.Itoa(max(1, col-len(templatePrelude))) + ":"
	})
	return errors.New(msg)
}

// checkTemplate parses text and executes it once on sample data, so that
// mistakes only execution finds ({{ .Valu }}, {{ .Labels.team.name }},
// {{ percent .Labels }}) fail when the rule is built, naming the
// annotation, instead of at 3 a.m. inside a page. The execution is bounded
// as parseTemplate describes; v, shared by the rules of one load, runs
// each distinct text once and bounds the work of all of them together.
func checkTemplate(v *validation, name, text string, r *Rule) error {
	if v.templates[text] {
		return nil
	}
	t, err := parseTemplate(name, text)
	if err != nil {
		return err
	}
	l := Labels{LabelAlertName: r.Name}
	for k, v := range r.Labels {
		l[k] = v
	}
	for _, k := range r.By {
		l[k] = "x"
	}
	var b strings.Builder
	d := &templateData{Rule: r.Name, Value: 1, Threshold: 1, Window: time.Minute, Labels: l, State: "firing",
		work: templateWork{armed: true, left: maxTemplateSteps, rules: &v.templateSteps}}
	if err := t.Execute(&limitWriter{b: &b, left: maxTemplateOutput}, d); err != nil {
		if errors.Is(err, errTemplateOutput) {
			return fmt.Errorf("template: %s: %w", name, err)
		}
		if errors.Is(err, errRulesSteps) {
			return &fieldError{Msg: fmt.Sprintf("%v (more than %d steps; a rule set needs far less)", errRulesSteps, maxRulesTemplateSteps), Limit: true}
		}
		return templateError(err)
	}
	v.templates[text] = true
	return nil
}

// render executes t with the bounds parseTemplate describes; a failing
// template yields its error text rather than dropping the annotation, so
// a broken runbook template is visible in the notification instead of
// silently empty.
func render(t *template.Template, d *templateData, b *strings.Builder) string {
	b.Reset()
	d.work = templateWork{armed: true, left: maxTemplateSteps}
	err := t.Execute(&limitWriter{b: b, left: maxTemplateOutput}, d)
	d.work = templateWork{}
	if errors.Is(err, errTemplateOutput) {
		return "template error: template: " + t.Name() + ": " + err.Error()
	}
	if err != nil {
		return "template error: " + templateError(err).Error()
	}
	return b.String()
}
