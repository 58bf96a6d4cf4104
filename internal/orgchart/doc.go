// Package orgchart draws a resolved org chart: a layout of boxes computed
// here, in Go, and written as SVG (or described as Graphviz DOT for other
// tools). No Graphviz is needed at run time.
//
// The layout is the compact one org charts use: a manager sits centered over
// their reports; reports who manage nobody are stacked in columns under their
// manager instead of spread in a row, so a team of forty is a few columns,
// not forty boxes wide. People outside the tree (tree problems: cycles,
// unknown managers) are drawn highlighted in a grid below it. It is pure: no
// I/O beyond the writer it is given.
package orgchart
