package templates

import "fmt"

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

var eventLabels = map[string]string{
	"created":          "Invitation created",
	"agent_connected":  "Support program connected",
	"consent_given":    "Customer approved",
	"viewer_connected": "Viewer connected",
	"control_changed":  "Control changed",
	"ended":            "Session ended",
	"consent_denied":   "Customer denied",
}

func eventLabel(kind string) string {
	if l, ok := eventLabels[kind]; ok {
		return l
	}
	return kind
}
