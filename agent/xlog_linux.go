package main

import (
	"io"
	"log"

	"github.com/jezek/xgb"
)

// quietX11 routes the X protocol library's own log lines ("Could not get
// authority info", printed on every desktop without an .Xauthority file) to
// w: the customer's console is for sentences meant for them.
func quietX11(w io.Writer) { xgb.Logger = log.New(w, "XGB: ", 0) }
