package main

import "crypto/ed25519"

// keySlot is where the server writes its public key into every download of
// this program (protocol.KeySlotMagic, then 32 key bytes, zeros in a fresh
// build). The slot lies in the program's code, the part Authenticode signs;
// the settings trailer after the program must carry a signature made with
// that key, so a download re-pointed at another server is refused.
//
// The magic is written out here and nowhere else in this program: the
// server finds the slot by searching for it and refuses a file where it
// occurs twice.
var keySlot = [48]byte{
	0x54, 0x45, 0x54, 0x48, 0x45, 0x52, 0x4b, 0x45, 0x59, 0x9a, 0x3c, 0xe1, 0x07, 0xb2, 0x5d, 0xf4,
}

// signingKey is the public key in this program's own slot.
func signingKey() ed25519.PublicKey {
	return append(ed25519.PublicKey(nil), keySlot[16:]...)
}
