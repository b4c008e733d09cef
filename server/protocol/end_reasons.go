package protocol

import "strings"

// endReasonKeys is the one list of why a session ends, each reason with its key in the catalogs: message
// "customer_reason_<key>" says it to the customer (their pages and the support program), and
// "console_end_<key>" to engineers (EndReasonMessage). A reason added to protocol goes here too;
// TestEndReasonsSaid and TestConsoleWordsCovered fail until every catalog words it.
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
	EndEngineerDeleted:     "engineer_deleted",
	EndTimeLimit:           "time_limit",
	EndIdle:                "idle",
}

// EndReasonKey names reason for translation: its key ("customer_stopped"), and for EndedBy the
// engineer's name as arg ("ended_by", "Erin"). ok is false for a reason of no list.
func EndReasonKey(reason string) (key, arg string, ok bool) {
	if k, found := endReasonKeys[reason]; found {
		return k, "", true
	}
	if name, found := strings.CutPrefix(reason, EndedBy("")); found && name != "" {
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
