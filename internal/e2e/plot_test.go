package e2e

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"strings"
)

// A log-log line plot drawn with the standard library only: the PNG with a
// built-in 5×7 bitmap font, and the same plot as SVG.

type series struct {
	name  string
	color color.RGBA
	dash  bool
	xs    []float64
	ys    []float64
}

type plot struct {
	title, xLabel, yLabel string
	series                []series
}

const plotW, plotH = 900, 560
const marginL, marginR, marginT, marginB = 80, 220, 50, 60

// bounds are the decades the data spans.
func (p plot) bounds() (x0, x1, y0, y1 float64) {
	x0, y0 = math.Inf(1), math.Inf(1)
	x1, y1 = math.Inf(-1), math.Inf(-1)
	for _, s := range p.series {
		for i := range s.xs {
			if s.xs[i] <= 0 || s.ys[i] <= 0 {
				continue
			}
			x0, x1 = math.Min(x0, s.xs[i]), math.Max(x1, s.xs[i])
			y0, y1 = math.Min(y0, s.ys[i]), math.Max(y1, s.ys[i])
		}
	}
	if math.IsInf(x0, 1) {
		return 1, 10, 1, 10
	}
	// The x axis ends at the largest size (200K, not 1M); y at a decade.
	x0, x1 = math.Floor(math.Log10(x0)), math.Log10(x1)
	y0, y1 = math.Floor(math.Log10(y0)), math.Ceil(math.Log10(y1))
	if x1 <= x0 {
		x1 = x0 + 1
	}
	if y1 == y0 {
		y1++
	}
	return x0, x1, y0, y1
}

func (p plot) mapper() func(x, y float64) (float64, float64) {
	x0, x1, y0, y1 := p.bounds()
	w, h := float64(plotW-marginL-marginR), float64(plotH-marginT-marginB)
	return func(x, y float64) (float64, float64) {
		px := float64(marginL) + (math.Log10(x)-x0)/(x1-x0)*w
		py := float64(marginT) + h - (math.Log10(y)-y0)/(y1-y0)*h
		return px, py
	}
}

func tickLabel(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%gM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%gK", v/1e3)
	default:
		return fmt.Sprintf("%g", v)
	}
}

// PNG renders the plot.
func (p plot) PNG() ([]byte, error) {
	img := image.NewRGBA(image.Rect(0, 0, plotW, plotH))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	grid, axis := color.RGBA{225, 225, 225, 255}, color.RGBA{40, 40, 40, 255}
	x0, x1, y0, y1 := p.bounds()
	at := p.mapper()
	left, right := float64(marginL), float64(plotW-marginR)
	top, bottom := float64(marginT), float64(plotH-marginB)
	for d := x0; d <= x1; d++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, d)
			if math.Log10(v) > x1+1e-9 {
				break
			}
			px, _ := at(v, math.Pow(10, y0))
			line(img, px, top, px, bottom, grid, false)
			if m == 1 || m == 2 || m == 5 {
				drawText(img, tickLabel(v), int(px)-textWidth(tickLabel(v))/2, int(bottom)+8, axis, 1)
			}
		}
	}
	for d := y0; d <= y1; d++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, d)
			if math.Log10(v) > y1+1e-9 {
				break
			}
			_, py := at(math.Pow(10, x0), v)
			line(img, left, py, right, py, grid, false)
			drawText(img, tickLabel(v), int(left)-8-textWidth(tickLabel(v)), int(py)-3, axis, 1)
		}
	}
	line(img, left, bottom, right, bottom, axis, false)
	line(img, left, top, left, bottom, axis, false)
	drawText(img, p.title, marginL, 16, axis, 2)
	drawText(img, p.xLabel, int(left+right)/2-textWidth(p.xLabel)/2, plotH-22, axis, 1)
	drawText(img, p.yLabel, 8, marginT-18, axis, 1)
	for i, s := range p.series {
		for j := 1; j < len(s.xs); j++ {
			ax, ay := at(s.xs[j-1], s.ys[j-1])
			bx, by := at(s.xs[j], s.ys[j])
			thick(img, ax, ay, bx, by, s.color, s.dash)
		}
		for j := range s.xs {
			px, py := at(s.xs[j], s.ys[j])
			for dx := -3; dx <= 3; dx++ {
				for dy := -3; dy <= 3; dy++ {
					img.Set(int(px)+dx, int(py)+dy, s.color)
				}
			}
		}
		ly := marginT + 10 + i*22
		thick(img, right+16, float64(ly+3), right+46, float64(ly+3), s.color, s.dash)
		drawText(img, s.name, int(right)+54, ly, axis, 1)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// SVG renders the same plot as SVG.
func (p plot) SVG() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", plotW, plotH)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	x0, x1, y0, y1 := p.bounds()
	at := p.mapper()
	left, right := float64(marginL), float64(plotW-marginR)
	top, bottom := float64(marginT), float64(plotH-marginB)
	for d := x0; d <= x1; d++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, d)
			if math.Log10(v) > x1+1e-9 {
				break
			}
			px, _ := at(v, math.Pow(10, y0))
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e1e1e1"/>`+"\n", px, top, px, bottom)
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", px, bottom+18, tickLabel(v))
		}
	}
	for d := y0; d <= y1; d++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, d)
			if math.Log10(v) > y1+1e-9 {
				break
			}
			_, py := at(math.Pow(10, x0), v)
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e1e1e1"/>`+"\n", left, py, right, py)
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end">%s</text>`+"\n", left-8, py+4, tickLabel(v))
		}
	}
	fmt.Fprintf(&b, `<path d="M%.1f %.1f V%.1f H%.1f" fill="none" stroke="#282828"/>`+"\n", left, top, bottom, right)
	fmt.Fprintf(&b, `<text x="%d" y="28" font-size="16">%s</text>`+"\n", marginL, xmlEscape(p.title))
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", (left+right)/2, plotH-16, xmlEscape(p.xLabel))
	fmt.Fprintf(&b, `<text x="8" y="%d">%s</text>`+"\n", marginT-14, xmlEscape(p.yLabel))
	for i, s := range p.series {
		hex := fmt.Sprintf("#%02x%02x%02x", s.color.R, s.color.G, s.color.B)
		dash := ""
		if s.dash {
			dash = ` stroke-dasharray="6 4"`
		}
		var pts []string
		for j := range s.xs {
			px, py := at(s.xs[j], s.ys[j])
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px, py))
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"/>`+"\n", px, py, hex)
		}
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2.5"%s/>`+"\n", strings.Join(pts, " "), hex, dash)
		ly := marginT + 10 + i*22
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="2.5"%s/>`+"\n", right+16, ly+3, right+46, ly+3, hex, dash)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d">%s</text>`+"\n", right+54, ly+8, xmlEscape(s.name))
	}
	b.WriteString("</svg>\n")
	return []byte(b.String())
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func line(img *image.RGBA, ax, ay, bx, by float64, c color.RGBA, dash bool) {
	n := int(math.Max(math.Abs(bx-ax), math.Abs(by-ay))) + 1
	for i := 0; i <= n; i++ {
		if dash && (i/6)%2 == 1 {
			continue
		}
		t := float64(i) / float64(n)
		img.Set(int(math.Round(ax+(bx-ax)*t)), int(math.Round(ay+(by-ay)*t)), c)
	}
}

func thick(img *image.RGBA, ax, ay, bx, by float64, c color.RGBA, dash bool) {
	for _, d := range []float64{-1, 0, 1} {
		line(img, ax+d, ay, bx+d, by, c, dash)
		line(img, ax, ay+d, bx, by+d, c, dash)
	}
}

func textWidth(s string) int { return len(s) * 6 }

// drawText writes s in the 5×7 font, scaled; unknown characters are blank.
func drawText(img *image.RGBA, s string, x, y int, c color.RGBA, scale int) {
	for i, r := range strings.ToUpper(s) {
		g, ok := font5x7[r]
		if !ok {
			continue
		}
		for row, bits := range g {
			for col, ch := range bits {
				if ch != '#' {
					continue
				}
				for sx := 0; sx < scale; sx++ {
					for sy := 0; sy < scale; sy++ {
						img.Set(x+(i*6+col)*scale+sx, y+row*scale+sy, c)
					}
				}
			}
		}
	}
}

var font5x7 = map[rune][7]string{
	'0': {".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."},
	'1': {"..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."},
	'2': {".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"},
	'3': {"#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###."},
	'4': {"...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."},
	'5': {"#####", "#....", "####.", "....#", "....#", "#...#", ".###."},
	'6': {"..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."},
	'7': {"#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."},
	'8': {".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."},
	'9': {".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."},
	'A': {".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"},
	'B': {"####.", "#...#", "#...#", "####.", "#...#", "#...#", "####."},
	'C': {".###.", "#...#", "#....", "#....", "#....", "#...#", ".###."},
	'D': {"###..", "#..#.", "#...#", "#...#", "#...#", "#..#.", "###.."},
	'E': {"#####", "#....", "#....", "####.", "#....", "#....", "#####"},
	'F': {"#####", "#....", "#....", "####.", "#....", "#....", "#...."},
	'G': {".###.", "#...#", "#....", "#.###", "#...#", "#...#", ".####"},
	'H': {"#...#", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"},
	'I': {".###.", "..#..", "..#..", "..#..", "..#..", "..#..", ".###."},
	'J': {"..###", "...#.", "...#.", "...#.", "...#.", "#..#.", ".##.."},
	'K': {"#...#", "#..#.", "#.#..", "##...", "#.#..", "#..#.", "#...#"},
	'L': {"#....", "#....", "#....", "#....", "#....", "#....", "#####"},
	'M': {"#...#", "##.##", "#.#.#", "#.#.#", "#...#", "#...#", "#...#"},
	'N': {"#...#", "#...#", "##..#", "#.#.#", "#..##", "#...#", "#...#"},
	'O': {".###.", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."},
	'P': {"####.", "#...#", "#...#", "####.", "#....", "#....", "#...."},
	'Q': {".###.", "#...#", "#...#", "#...#", "#.#.#", "#..#.", ".##.#"},
	'R': {"####.", "#...#", "#...#", "####.", "#.#..", "#..#.", "#...#"},
	'S': {".####", "#....", "#....", ".###.", "....#", "....#", "####."},
	'T': {"#####", "..#..", "..#..", "..#..", "..#..", "..#..", "..#.."},
	'U': {"#...#", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."},
	'V': {"#...#", "#...#", "#...#", "#...#", "#...#", ".#.#.", "..#.."},
	'W': {"#...#", "#...#", "#...#", "#.#.#", "#.#.#", "#.#.#", ".#.#."},
	'X': {"#...#", "#...#", ".#.#.", "..#..", ".#.#.", "#...#", "#...#"},
	'Y': {"#...#", "#...#", ".#.#.", "..#..", "..#..", "..#..", "..#.."},
	'Z': {"#####", "....#", "...#.", "..#..", ".#...", "#....", "#####"},
	'.': {".....", ".....", ".....", ".....", ".....", ".##..", ".##.."},
	',': {".....", ".....", ".....", ".....", ".##..", "..#..", ".#..."},
	':': {".....", ".##..", ".##..", ".....", ".##..", ".##..", "....."},
	'-': {".....", ".....", ".....", "#####", ".....", ".....", "....."},
	'+': {".....", "..#..", "..#..", "#####", "..#..", "..#..", "....."},
	'%': {"##...", "##..#", "...#.", "..#..", ".#...", "#..##", "...##"},
	'(': {"...#.", "..#..", ".#...", ".#...", ".#...", "..#..", "...#."},
	')': {".#...", "..#..", "...#.", "...#.", "...#.", "..#..", ".#..."},
	'/': {".....", "....#", "...#.", "..#..", ".#...", "#....", "....."},
	'=': {".....", ".....", "#####", ".....", "#####", ".....", "....."},
	'×': {".....", "#...#", ".#.#.", "..#..", ".#.#.", "#...#", "....."},
}
