package protocol

import "strings"

// endMessages names, for each reason a session ends, its message in Tether's catalogs
// (static/locales/console.*.toml), so that every page and the viewer word a stored reason the same way
// in the reader's language. The reason itself stays as the store keeps it.
var endMessages = map[string]string{
	EndCustomerClosed:      "console_end_customer_closed",
	EndCustomerStopped:     "console_end_customer_stopped",
	EndCustomerDenied:      "console_end_customer_denied",
	EndCannotCapture:       "console_end_cannot_capture",
	EndAgentLost:           "console_end_agent_lost",
	EndExpired:             "console_end_expired",
	EndInterrupted:         "console_end_interrupted",
	EndProviderDisabled:    "console_end_provider_disabled",
	EndTimeLimit:           "console_end_time_limit",
	EndIdle:                "console_end_idle",
	EndNobodyFree:          "console_end_nobody_free",
	EndEngineerDeactivated: "console_end_engineer_deactivated",
}

// EndReasonMessage is the catalog message that words reason, with its data ("ended by Erin" is
// console_end_by with Engineer "Erin"); ok is false for a reason this version does not know, which is
// shown as stored.
func EndReasonMessage(reason string) (id string, data map[string]any, ok bool) {
	if id, ok := endMessages[reason]; ok {
		return id, nil, true
	}
	if name, ok := strings.CutPrefix(reason, EndedBy("")); ok {
		return "console_end_by", map[string]any{"Engineer": name}, true
	}
	return "", nil, false
}

// EndReasonMessages lists the message ids EndReasonMessage gives, for pages that carry them to scripts.
func EndReasonMessages() []string {
	out := make([]string, 0, len(endMessages)+1)
	for _, id := range endMessages {
		out = append(out, id)
	}
	return append(out, "console_end_by")
}
