//go:build js

package protocol

import "errors"

// checkLogo refuses every logo in the engineer's browser: the viewer never
// reads an agent's settings, and image/png would grow viewer.wasm by
// 180 KB for nothing. The server and the agent check logos in full.
func checkLogo([]byte) error {
	return errors.New("agent logos are checked by the server and the agent, not in the viewer")
}
