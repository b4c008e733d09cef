package protocol

import "strings"

// endReasonKeys name the end reasons for the pages and the agent that show them in the customer's
// language: message "customer_reason_<key>" of static/locales says each one.
var endReasonKeys = map[string]string{
	EndNobodyFree:          "nobody_free",
	EndCustomerClosed:      "customer_closed",
	EndCustomerStopped:     "customer_stopped",
	EndCustomerDenied:      "customer_denied",
	EndCannotCapture:       "cannot_capture",
	EndAgentLost:           "agent_lost",
	EndExpired:             "expired",
	EndInterrupted:         "interrupted",
	EndProviderDisabled:    "provider_closed",
	EndEngineerDeactivated: "engineer_deactivated",
	EndTimeLimit:           "time_limit",
	EndIdle:                "idle",
}

// EndReasonKey names reason for translation: its key ("customer_stopped"), and for EndedBy the
// engineer's name as arg ("ended_by", "Erin"). ok is false for a reason of no list.
func EndReasonKey(reason string) (key, arg string, ok bool) {
	if k, found := endReasonKeys[reason]; found {
		return k, "", true
	}
	if name, found := strings.CutPrefix(reason, "ended by "); found && name != "" {
		return "ended_by", name, true
	}
	return "", "", false
}

// EndReasons lists every fixed end reason (EndedBy's aside).
func EndReasons() []string {
	out := make([]string, 0, len(endReasonKeys))
	for r := range endReasonKeys {
		out = append(out, r)
	}
	return out
}
