package protocol

// EndReasonMessage is the console's catalog message that words reason for engineers, with its data
// ("ended by Erin" is console_end_by with Engineer "Erin"); ok is false for a reason this version does not
// know, which is shown as stored. The reasons and their keys are endReasonKeys.
func EndReasonMessage(reason string) (id string, data map[string]any, ok bool) {
	key, arg, ok := EndReasonKey(reason)
	switch {
	case !ok:
		return "", nil, false
	case key == "ended_by":
		return "console_end_by", map[string]any{"Engineer": arg}, true
	}
	return "console_end_" + key, nil, true
}

// EndReasonMessages lists the message ids EndReasonMessage gives, for pages that carry them to scripts.
func EndReasonMessages() []string {
	out := make([]string, 0, len(endReasonKeys)+1)
	for _, key := range endReasonKeys {
		out = append(out, "console_end_"+key)
	}
	return append(out, "console_end_by")
}
