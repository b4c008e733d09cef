package templates

import (
	"fmt"
	"strconv"
)

// HumanBytes is humanBytes for the handlers (the audit log's details).
func HumanBytes(n int64) string { return humanBytes(n) }

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// itoa formats an integer for an input's value.
func itoa(n int) string { return strconv.Itoa(n) }
