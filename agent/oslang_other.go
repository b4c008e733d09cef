//go:build !windows

package main

import "os"

// osLanguage is the user's locale as POSIX systems name it: LC_ALL, then LC_MESSAGES, then LANG.
func osLanguage() string {
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if s := os.Getenv(v); s != "" {
			return s
		}
	}
	return ""
}
