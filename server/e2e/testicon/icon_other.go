//go:build !windows

package main

import "errors"

func iconPixels(string) (int, []byte, error) {
	return 0, nil, errors.New("testicon asks Windows for a program's icon: run it on Windows or under Wine")
}
