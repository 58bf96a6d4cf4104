package e2e

import (
	"bytes"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The report's plot is a real PNG with the series drawn in their colours, and
// the SVG has one line per series; no service or font file is needed.
func TestPlotDrawsPNGAndSVG(t *testing.T) {
	red := color.RGBA{200, 60, 40, 255}
	p := plot{title: "t", xLabel: "people", yLabel: "seconds", series: []series{
		{name: "floor", color: color.RGBA{90, 90, 90, 255}, dash: true, xs: []float64{1000, 10000, 100000}, ys: []float64{0.1, 0.3, 3}},
		{name: "first", color: red, xs: []float64{1000, 10000, 100000}, ys: []float64{0.5, 2, 20}},
	}}
	raw, err := p.PNG()
	require.NoError(t, err)
	img, err := png.Decode(bytes.NewReader(raw))
	require.NoError(t, err)
	require.Equal(t, plotW, img.Bounds().Dx())
	reds := 0
	for y := 0; y < plotH; y++ {
		for x := 0; x < plotW; x++ {
			if r, g, b, _ := img.At(x, y).RGBA(); r>>8 == 200 && g>>8 == 60 && b>>8 == 40 {
				reds++
			}
		}
	}
	require.Greater(t, reds, 500, "the first-sync line is drawn")
	svg := string(p.SVG())
	require.Equal(t, 2, strings.Count(svg, "<polyline"))
	require.Contains(t, svg, ">100K<")
}
