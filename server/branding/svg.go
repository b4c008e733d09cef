package branding

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// SVG namespaces.
const (
	nsSVG   = "http://www.w3.org/2000/svg"
	nsXLink = "http://www.w3.org/1999/xlink"
	nsXML   = "http://www.w3.org/XML/1998/namespace"
)

// Bounds of a sanitised SVG.
const (
	maxSVGElements = 20000
	maxSVGDepth    = 64
)

// svgElements are the SVG elements a logo may use: shapes, text, gradients, clipping, masks and simple
// filters. Everything that runs code, loads something or embeds other markup is absent (script, style,
// foreignObject, image, a, iframe, animate/set, feImage), so it is refused.
var svgElements = setOf("svg", "g", "defs", "symbol", "use", "title", "desc", "path", "rect", "circle",
	"ellipse", "line", "polyline", "polygon", "text", "tspan", "textPath", "linearGradient", "radialGradient",
	"stop", "clipPath", "mask", "pattern", "marker", "filter", "feGaussianBlur", "feOffset", "feBlend",
	"feColorMatrix", "feFlood", "feComposite", "feMerge", "feMergeNode", "feDropShadow", "switch")

// dropElements are harmless elements editors write (Inkscape, Illustrator) that show nothing: left out.
var dropElements = setOf("metadata")

// svgAttributes are the attributes kept (in no namespace). Presentation attributes are listed; any
// other is left out, except event handlers (on…), which refuse the file.
var svgAttributes = setOf("id", "class", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "fx", "fy",
	"fr", "d", "points", "width", "height", "viewBox", "preserveAspectRatio", "transform", "version",
	"fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-linecap", "stroke-linejoin",
	"stroke-miterlimit", "stroke-dasharray", "stroke-dashoffset", "stroke-opacity", "opacity", "color",
	"display", "visibility", "overflow", "clip-path", "clip-rule", "mask", "filter", "style",
	"offset", "stop-color", "stop-opacity", "gradientUnits", "gradientTransform", "spreadMethod",
	"patternUnits", "patternContentUnits", "patternTransform", "clipPathUnits", "maskUnits", "maskContentUnits",
	"markerWidth", "markerHeight", "markerUnits", "refX", "refY", "orient", "marker-start", "marker-mid", "marker-end",
	"font-family", "font-size", "font-weight", "font-style", "font-variant", "text-anchor", "dominant-baseline",
	"alignment-baseline", "baseline-shift", "letter-spacing", "word-spacing", "text-decoration", "dx", "dy",
	"rotate", "textLength", "lengthAdjust", "startOffset", "href",
	"filterUnits", "primitiveUnits", "in", "in2", "result", "stdDeviation", "mode", "type", "values",
	"operator", "k1", "k2", "k3", "k4", "flood-color", "flood-opacity", "color-interpolation-filters",
	"color-interpolation", "shape-rendering", "text-rendering", "image-rendering", "vector-effect",
	"paint-order", "mix-blend-mode", "isolation")

// cssProperties are the properties a style attribute may set: presentation attributes only.
var cssProperties = setOf("fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-linecap",
	"stroke-linejoin", "stroke-miterlimit", "stroke-dasharray", "stroke-dashoffset", "stroke-opacity", "opacity",
	"color", "display", "visibility", "overflow", "clip-path", "clip-rule", "mask", "filter", "stop-color",
	"stop-opacity", "font-family", "font-size", "font-weight", "font-style", "font-variant", "text-anchor",
	"dominant-baseline", "alignment-baseline", "baseline-shift", "letter-spacing", "word-spacing",
	"text-decoration", "flood-color", "flood-opacity", "color-interpolation-filters", "color-interpolation",
	"shape-rendering", "text-rendering", "image-rendering", "vector-effect", "paint-order", "mix-blend-mode",
	"isolation", "marker-start", "marker-mid", "marker-end", "line-height", "white-space", "enable-background")

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// SanitizeSVG checks an SVG logo against an allowlist and returns it written anew from what passed: only
// the elements and attributes listed above, in the SVG namespace; references only to the document's own
// #ids; no DOCTYPE or entities, no processing instructions, no scripts, event handlers, style sheets,
// foreign markup or external resources. What would run or load something refuses the whole file with the
// reason; what merely shows nothing (editor metadata, unknown attributes) is left out.
func SanitizeSVG(data []byte) ([]byte, error) {
	if len(data) > MaxLogoBytes {
		return nil, refuse("The logo is larger than %s. Upload a smaller file.", humanSize(MaxLogoBytes))
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	// No entity but XML's five: a DOCTYPE is refused before it could define any.
	dec.Entity = nil
	var out bytes.Buffer
	var stack []string
	skip := 0 // depth inside an element left out
	elements := 0
	sawRoot := false
	for {
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, refuse("The SVG logo is not well-formed XML (%s).", xmlReason(err))
		}
		switch t := tok.(type) {
		case xml.Directive:
			return nil, refuse("The SVG logo has a DOCTYPE or entity declaration, which is not allowed. Export it again as plain SVG.")
		case xml.ProcInst:
			if t.Target != "xml" || sawRoot || out.Len() > 0 {
				return nil, refuse("The SVG logo has a processing instruction (<?%s?>), which is not allowed.", t.Target)
			}
		case xml.Comment:
			// Left out.
		case xml.CharData:
			if skip > 0 {
				continue
			}
			if len(stack) == 0 {
				if len(bytes.TrimSpace(t)) > 0 {
					return nil, refuse("The SVG logo has text outside its <svg> element.")
				}
				continue
			}
			if err := xml.EscapeText(&out, t); err != nil {
				return nil, err
			}
		case xml.StartElement:
			elements++
			if elements > maxSVGElements {
				return nil, refuse("The SVG logo has more than %d elements. Simplify it or upload a PNG.", maxSVGElements)
			}
			if len(stack) >= maxSVGDepth {
				return nil, refuse("The SVG logo nests elements more than %d deep.", maxSVGDepth)
			}
			space := resolveSpace(t.Name.Space, t.Attr, stack == nil)
			if skip > 0 {
				skip++
				if err := checkDropped(t); err != nil {
					return nil, err
				}
				continue
			}
			if len(stack) == 0 {
				if sawRoot {
					return nil, refuse("The SVG logo has more than one root element.")
				}
				if t.Name.Local != "svg" || space != nsSVG {
					return nil, refuse("The file is not an SVG image (its root element is <%s>, not <svg> in the SVG namespace).", t.Name.Local)
				}
				sawRoot = true
			}
			if space != nsSVG || dropElements[t.Name.Local] {
				if err := checkDropped(t); err != nil {
					return nil, err
				}
				skip = 1
				continue
			}
			if !svgElements[t.Name.Local] {
				return nil, refuse("The SVG logo uses the element <%s>, which is not allowed in a logo (scripts, style sheets, embedded images, links, animations and foreign content are refused).", t.Name.Local)
			}
			out.WriteByte('<')
			out.WriteString(t.Name.Local)
			if len(stack) == 0 {
				out.WriteString(` xmlns="` + nsSVG + `" xmlns:xlink="` + nsXLink + `"`)
			}
			for _, a := range t.Attr {
				name, keep, err := checkAttr(t.Name.Local, a)
				if err != nil {
					return nil, err
				}
				if !keep {
					continue
				}
				out.WriteByte(' ')
				out.WriteString(name)
				out.WriteString(`="`)
				if err := xml.EscapeText(&out, []byte(a.Value)); err != nil {
					return nil, err
				}
				out.WriteByte('"')
			}
			out.WriteByte('>')
			stack = append(stack, t.Name.Local)
		case xml.EndElement:
			if skip > 0 {
				skip--
				continue
			}
			if len(stack) == 0 {
				return nil, refuse("The SVG logo is not well-formed XML.")
			}
			out.WriteString("</" + stack[len(stack)-1] + ">")
			stack = stack[:len(stack)-1]
		}
	}
	if !sawRoot {
		return nil, refuse("The file is not an SVG image.")
	}
	if len(stack) != 0 || skip != 0 {
		return nil, refuse("The SVG logo is not well-formed XML (it ends inside an element).")
	}
	return out.Bytes(), nil
}

// resolveSpace returns an element's namespace URL. RawToken leaves prefixes unresolved, so the
// declarations are tracked by hand in the simplest safe way: the default namespace must be declared SVG on
// the root (or the element names its own xmlns); a prefixed element is foreign (left out) unless its
// prefix is declared on itself as SVG. Editors' SVGs use unprefixed SVG elements.
func resolveSpace(prefix string, attrs []xml.Attr, root bool) string {
	for _, a := range attrs {
		if prefix == "" && a.Name.Space == "" && a.Name.Local == "xmlns" {
			return a.Value
		}
		if prefix != "" && a.Name.Space == "xmlns" && a.Name.Local == prefix {
			return a.Value
		}
	}
	if prefix == "" && !root {
		return nsSVG // inherited from the root, which had to declare it
	}
	if prefix == "" {
		return ""
	}
	return "prefix:" + prefix
}

// checkDropped refuses, even inside content that is left out, what must never be in a logo at all: a
// script or foreign HTML could run if the file were ever served as it came.
func checkDropped(t xml.StartElement) error {
	switch strings.ToLower(t.Name.Local) {
	case "script", "foreignobject", "iframe", "object", "embed", "style":
		return refuse("The SVG logo contains <%s>, which is not allowed in a logo.", t.Name.Local)
	}
	for _, a := range t.Attr {
		if strings.HasPrefix(strings.ToLower(a.Name.Local), "on") {
			return refuse("The SVG logo has an event handler attribute (%s), which runs code; it is not allowed.", a.Name.Local)
		}
	}
	return nil
}

// checkAttr decides about one attribute of an allowed element: its name as written out and whether it
// is kept, or a refusal.
func checkAttr(elem string, a xml.Attr) (string, bool, error) {
	local := a.Name.Local
	if strings.HasPrefix(strings.ToLower(local), "on") {
		return "", false, refuse("The SVG logo has an event handler attribute (%s on <%s>), which runs code; it is not allowed.", local, elem)
	}
	switch a.Name.Space {
	case "":
		if local == "xmlns" {
			if a.Value != nsSVG {
				return "", false, refuse("The SVG logo declares another default namespace (%s).", a.Value)
			}
			return "", false, nil // written on the root only
		}
	case "xmlns":
		return "", false, nil // prefixes: the elements and attributes using them are left out
	case "xlink":
		if local != "href" {
			return "", false, nil
		}
		if err := checkRef(elem, local, a.Value); err != nil {
			return "", false, err
		}
		return "xlink:href", true, nil
	case "xml":
		if local == "space" && (a.Value == "preserve" || a.Value == "default") {
			return "xml:space", true, nil
		}
		return "", false, nil
	default:
		return "", false, nil // an editor's own attributes (inkscape:, sodipodi:, …)
	}
	if !svgAttributes[local] {
		return "", false, nil
	}
	if local == "href" {
		if err := checkRef(elem, local, a.Value); err != nil {
			return "", false, err
		}
		return local, true, nil
	}
	if local == "style" {
		if err := checkStyle(elem, a.Value); err != nil {
			return "", false, err
		}
	}
	if err := checkURLs(elem, local, a.Value); err != nil {
		return "", false, err
	}
	return local, true, nil
}

// checkRef allows only references to the document's own elements (#id).
func checkRef(elem, attr, v string) error {
	v = strings.TrimSpace(v)
	if !strings.HasPrefix(v, "#") || !validID(v[1:]) {
		return refuse("The SVG logo's <%s> refers to %q in %s; only references to the logo's own parts (#id) are allowed, nothing outside it.", elem, truncate(v, 60), attr)
	}
	return nil
}

// checkURLs allows url(…) in a value only as url(#id).
func checkURLs(elem, attr, v string) error {
	lower := strings.ToLower(v)
	for i := strings.Index(lower, "url("); i >= 0; {
		rest := strings.TrimSpace(v[i+4:])
		rest = strings.TrimLeft(rest, `'"`)
		end := strings.IndexAny(rest, `'") `)
		if end < 0 || !strings.HasPrefix(rest, "#") || !validID(rest[1:end]) {
			return refuse("The SVG logo's <%s> loads %q in %s; only references to the logo's own parts, url(#id), are allowed.", elem, truncate(v, 60), attr)
		}
		next := strings.Index(lower[i+4:], "url(")
		if next < 0 {
			break
		}
		i += 4 + next
	}
	return nil
}

// checkStyle allows a style attribute of presentation properties only, with no escapes, at-rules,
// comments or external url().
func checkStyle(elem, v string) error {
	if strings.ContainsAny(v, `\<>@{}`) || strings.Contains(v, "/*") || strings.Contains(strings.ToLower(v), "expression") {
		return refuse("The SVG logo's <%s> has a style attribute with escapes, at-rules or comments, which is not allowed.", elem)
	}
	for _, decl := range strings.Split(v, ";") {
		if strings.TrimSpace(decl) == "" {
			continue
		}
		prop, _, ok := strings.Cut(decl, ":")
		prop = strings.ToLower(strings.TrimSpace(prop))
		if !ok || !cssProperties[prop] {
			return refuse("The SVG logo's <%s> sets the style property %q, which is not allowed in a logo.", elem, truncate(prop, 40))
		}
	}
	return checkURLs(elem, "style", v)
}

func validID(id string) bool {
	if id == "" || len(id) > 200 {
		return false
	}
	for _, r := range id {
		if !(r == '-' || r == '_' || r == '.' || r == ':' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// xmlReason is the parser's complaint without its "XML syntax error" prefix.
func xmlReason(err error) string {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("line %d: %s", se.Line, se.Msg)
	}
	return err.Error()
}
