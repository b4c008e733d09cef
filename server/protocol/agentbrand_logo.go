//go:build !js

package protocol

import (
	"bytes"
	"fmt"
	"image/png"
)

// checkLogo accepts a PNG within MaxAgentLogoSide pixels a side that
// decodes in full. The size comes from the header first, so a picture
// that claims to be huge is refused before anything is decoded.
func checkLogo(logo []byte) error {
	cfg, err := png.DecodeConfig(bytes.NewReader(logo))
	if err != nil {
		return fmt.Errorf("the logo is not a PNG: %v", err)
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > MaxAgentLogoSide || cfg.Height > MaxAgentLogoSide {
		return fmt.Errorf("a logo of %dx%d pixels (at most %d a side)", cfg.Width, cfg.Height, MaxAgentLogoSide)
	}
	if _, err := png.Decode(bytes.NewReader(logo)); err != nil {
		return fmt.Errorf("the logo is damaged: %v", err)
	}
	return nil
}
