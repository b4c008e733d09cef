// Command testicon asks Windows' shell for the application icon of a
// program, as Explorer does (ExtractIconExW), draws it at 32x32 and prints
// how many of its pixels have each colour given, and the picture as a PNG,
// as JSON. The end-to-end
// tests run it under Wine to see the icon a download carries.
//
//	testicon.exe PROGRAM RRGGBB...
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
)

// side is the size the icon is drawn at, as Explorer's large icons.
const side = 32

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: testicon PROGRAM RRGGBB...")
		os.Exit(2)
	}
	var colours [][3]byte
	for _, c := range os.Args[2:] {
		var r, g, b byte
		if _, err := fmt.Sscanf(c, "%02x%02x%02x", &r, &g, &b); err != nil {
			fmt.Fprintf(os.Stderr, "colour %q: %v\n", c, err)
			os.Exit(2)
		}
		colours = append(colours, [3]byte{r, g, b})
	}
	icons, pix, err := iconPixels(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	counts := make([]int, len(colours))
	for i := 0; i+3 < len(pix); i += 4 { // BGRA
		for k, c := range colours {
			if pix[i+2] == c[0] && pix[i+1] == c[1] && pix[i] == c[2] {
				counts[k]++
			}
		}
	}
	// The centre pixel, RRGGBB, says what was drawn when no colour matched.
	c := (side/2*side + side/2) * 4
	centre := fmt.Sprintf("%02x%02x%02x", pix[c+2], pix[c+1], pix[c])
	// The picture itself, for a person to look at.
	img := image.NewNRGBA(image.Rect(0, 0, side, side))
	for i := 0; i+3 < len(pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = pix[i+2], pix[i+1], pix[i], 255
	}
	var shot bytes.Buffer
	if err := png.Encode(&shot, img); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	_ = json.NewEncoder(os.Stdout).Encode(map[string]any{"icons": icons, "counts": counts, "centre": centre, "png": shot.Bytes()})
}
