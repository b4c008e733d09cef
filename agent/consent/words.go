package consent

import (
	"encoding/json"

	"tether/server/protocol"
	"tether/static/locales"
)

// pageWords are the sentences page.js says, in loc's language; {name}s are what the script fills in.
func pageWords(loc locales.Localizer) string {
	v := func(k string) string { return "{" + k + "}" }
	ep := map[string]any{"Engineer": v("engineer"), "Provider": v("provider")}
	e := map[string]any{"Engineer": v("engineer")}
	words := map[string]string{
		"engineer":             loc.T("customer_the_engineer"),
		"engineer_inner":       loc.T("customer_agent_engineer_inner"),
		"provider":             loc.T("customer_agent_provider"),
		"title_asking":         loc.T("customer_agent_title_asking", ep),
		"title_asking_anon":    loc.T("customer_agent_title_asking_anon", e),
		"title_sharing":        loc.T("customer_agent_title_sharing", ep),
		"title_sharing_anon":   loc.T("customer_agent_title_sharing_anon", e),
		"title_ended":          loc.T("customer_agent_title_ended"),
		"title_gone":           loc.T("customer_agent_title_gone"),
		"who_waiting":          loc.T("customer_agent_who_waiting"),
		"chat_with":            loc.T("customer_chat_with", map[string]any{"Name": v("name")}),
		"chat_write_to":        loc.T("customer_chat_write_to", map[string]any{"Name": v("name")}),
		"proof_ok":             loc.T("customer_agent_proof_ok"),
		"proof_local":          loc.T("customer_agent_proof_local"),
		"proof_warn":           loc.T("customer_agent_proof_warn"),
		"code_help":            loc.T("customer_agent_code_help", e),
		"recorded_asking":      loc.T("customer_agent_recorded_asking", ep),
		"recorded_sharing":     loc.T("customer_agent_recorded_sharing", ep),
		"legend_sharing":       loc.T("customer_agent_legend_sharing", e),
		"legend_asking":        loc.T("customer_agent_legend_asking", e),
		"status_ended":         loc.T("customer_agent_status_ended"),
		"status_ended_reason":  loc.T("customer_agent_status_ended_reason", map[string]any{"Reason": v("reason")}),
		"status_gone":          loc.T("customer_agent_status_gone"),
		"status_asking":        loc.T("customer_agent_status_asking"),
		"status_paused":        loc.T("customer_agent_status_paused", e),
		"status_sharing":       loc.T("customer_agent_status_sharing"),
		"status_sharing_since": loc.T("customer_agent_status_sharing_since", map[string]any{"Time": v("time")}),
		"status_watching":      loc.T("customer_agent_status_watching", e),
		"status_not_watching":  loc.T("customer_agent_status_not_watching", e),
		"status_stop_any_time": loc.T("customer_agent_status_stop_any_time"),
		"status_reconnecting":  loc.T("customer_agent_status_reconnecting"),
		"error":                loc.T("customer_error_status", map[string]any{"Status": v("status")}),
		"not_running":          loc.T("customer_agent_not_running"),
		"chat_not_running":     loc.T("customer_agent_chat_not_running"),
		"chat_ended":           loc.T("customer_chat_ended"),
		"request":              loc.T("customer_agent_request", map[string]any{"Engineer": v("engineer"), "Things": v("things")}),
		"paused_text":          loc.T("customer_agent_paused_text", e),
		"limit_idle":           loc.T("customer_agent_limit_idle"),
		"limit_time":           loc.T("customer_agent_limit_time"),
		"scope_window":         loc.T("customer_agent_scope_window", map[string]any{"Title": v("title")}),
		"scope_screen":         loc.T("customer_agent_scope_screen"),
		"scope_hidden_one":     loc.T("customer_agent_scope_hidden_one"),
		"scope_hidden":         loc.T("customer_agent_scope_hidden", map[string]any{"N": v("n")}),
		"scope_choose":         loc.T("customer_agent_scope_choose"),
		"scope_none":           loc.T("customer_agent_scope_none"),
		"files_downloads":      loc.T("customer_agent_files_downloads"),
		"files_limit":          loc.T("customer_agent_files_limit", map[string]any{"Size": v("size")}),
		"files_folder_failed":  loc.T("customer_agent_files_folder_failed"),
		"files_from":           loc.T("customer_agent_files_from", e),
		"files_to":             loc.T("customer_agent_files_to", e),
		"files_cancel":         loc.T("customer_agent_files_cancel"),
		"files_saved":          loc.T("customer_agent_files_saved", map[string]any{"Where": v("where")}),
		"files_received":       loc.T("customer_agent_files_received", e),
		"files_failed":         loc.T("customer_agent_files_failed"),
		"files_waiting":        loc.T("customer_agent_files_waiting", e),
		"files_receiving":      loc.T("customer_agent_files_receiving", map[string]any{"Percent": v("percent")}),
		"files_sending":        loc.T("customer_agent_files_sending", map[string]any{"Percent": v("percent")}),
	}
	for _, r := range protocol.EndReasons() {
		words["reason:"+r] = locales.CustomerEndReason(loc.T, r)
	}
	b, err := json.Marshal(words)
	if err != nil {
		// A map of strings always encodes.
		return "{}"
	}
	return string(b)
}
