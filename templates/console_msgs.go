package templates

import (
	"encoding/json"

	"tether/server/protocol"
)

// consoleScriptMessages are the messages the console's scripts say (static/js/viewer-*.js, through
// msgs.js's tetherMsg) and the viewer shows (wasm/jsdom/words_js.go). TestConsoleScriptMessages keeps
// the list, the scripts and the viewer in step. The end reasons' messages (protocol.EndReasonMessage)
// come along.
var consoleScriptMessages = []string{
	"console_js_the_customer",
	"console_js_grant_control",
	"console_js_grant_limited",
	"console_js_grant_clipboard",
	"console_js_grant_files",
	"console_js_list_and",
	"console_js_list_sep",
	"console_js_asked",
	"console_js_waiting_answer",
	"console_js_reconnecting",
	"console_js_idle_ends_in",
	"console_js_limit_in",
	"console_js_can_extend",
	"console_js_allowed",
	"console_js_took_back",
	"console_js_paused_by",
	"console_js_resumed",
	"console_js_extended",
	"console_js_away_too_long",
	"console_js_desk_forbids",
	"console_js_refused",
	"console_js_unread_one",
	"console_js_unread_many",
	"console_js_chat_title",
	"console_js_session_ended",
	"console_js_browser_unfit",
	"console_js_loading_viewer",
	"console_js_viewer_stopped",
	"console_js_viewer_failed",
	"console_js_shot_nothing",
	"console_js_shot_saving",
	"console_js_shot_saved",
	"console_js_shot_failed",
	"console_js_rec",
	"console_js_rec_on",
	"console_js_rec_failing",
	"console_js_rec_failing_title",
	"console_js_rec_off",
	"console_js_rec_off_title",
	"console_js_rec_saving",
	"console_js_sharing_window",
	"console_js_sharing_screen",
	"console_js_hidden_one",
	"console_js_hidden_many",
	"console_js_chars_one",
	"console_js_chars_many",
	"console_js_bytes",
	"console_js_clipboard",
	"console_js_close",
	"console_js_on",
	"console_js_off",
	"console_js_clip_remote",
	"console_js_clip_remote_placeholder",
	"console_js_clip_copy",
	"console_js_clip_local",
	"console_js_clip_local_placeholder",
	"console_js_clip_read",
	"console_js_send",
	"console_js_clip_hint",
	"console_js_clip_on_title",
	"console_js_clip_off_title",
	"console_js_clip_not_allowed",
	"console_js_clip_ready",
	"console_js_clip_no_https",
	"console_js_clip_no_api",
	"console_js_clip_background",
	"console_js_clip_degraded",
	"console_js_clip_written",
	"console_js_clip_refused",
	"console_js_clip_too_large",
	"console_js_clip_sent",
	"console_js_clip_copied",
	"console_js_clip_select",
	"console_js_clip_empty",
	"console_js_clip_no_read",
	"console_js_clip_no_text",
	"console_js_display_n",
	"console_js_display",
	"console_js_display_primary",
	"console_js_displays_all",
	"console_js_displays_showing_all",
	"console_js_displays_showing",
	"console_js_popped",
	"console_js_popped_text",
	"console_js_show_it_here",
	"console_js_popup_blocked",
	"console_js_screen_of",
	"console_js_screen",
	"console_js_show_here",
	"console_js_show_here_title",
	"console_js_popout",
	"console_js_popout_title",
	"console_js_files_not_allowed",
	"console_js_file_too_large",
	"console_js_files_limit",
	"console_js_files_not_allowed_session",
	"console_js_file_to",
	"console_js_file_from",
	"console_js_cancel",
	"console_js_file_checked",
	"console_js_file_save_again",
	"console_js_file_saved",
	"console_js_file_failed",
	"console_js_file_waiting",
	"console_js_file_sending",
	"console_js_file_receiving",
	"console_js_key_cad_note",
	"console_js_key_taskmgr_note",
	"console_js_key_win",
	"console_js_key_win_note",
	"console_js_key_alttab_note",
	"console_js_key_altf4_note",
	"console_js_key_start_note",
	"console_js_key_print",
	"console_js_key_print_note",
	"console_js_send_keys",
	"console_js_type_text",
	"console_js_type_text_note",
	"console_js_type_label",
	"console_js_type_placeholder",
	"console_js_type",
	"console_js_fullscreen",
	"console_js_fullscreen_exit",
	"console_js_fullscreen_title",
	"console_js_send_keys_title",
	"console_js_no_control",
	"console_js_keys_sent",
	"console_js_fullscreen_unsupported",
	"console_js_fullscreen_refused",
	"console_js_fs_hint_unsupported",
	"console_js_fs_hint_locked",
	"console_js_fs_hint_refused",
	"console_js_v_connecting",
	"console_js_v_connection_lost",
	"console_js_v_waiting",
	"console_js_v_connected",
	"console_js_v_signed_out",
	"console_js_v_unreachable_ended",
	"console_js_v_unreachable",
	"console_js_v_loading_recording",
	"console_js_v_recording_failed",
	"console_js_v_recording_version",
	"console_js_v_ended",
	"console_js_v_p2p",
	"console_js_v_turn",
	"console_js_v_relay",
	"console_js_v_code",
	"console_js_v_allows",
	"console_js_v_clip_not_allowed",
	"console_js_v_clip_unsendable",
	"console_js_v_clip_offline",
	"console_js_v_keys_no_control",
	"console_js_v_keys_offline",
	// The viewer's level chip (wasm/jsdom/words_js.go).
	"console_grant_view",
	"console_grant_control",
	"console_grant_limited",
	"console_grant_clipboard",
	"console_grant_files",
}

// consoleScriptVars are the variables the scripts' messages use, each rendered as its {Name} placeholder
// for the script to fill in.
var consoleScriptVars = map[string]any{}

func init() {
	for _, v := range []string{"Code", "Count", "Customer", "Display", "Engineer", "Error", "Grant", "Grants", "Items", "Keys",
		"Last", "Limit", "Max", "N", "Name", "Percent", "Reason", "Size", "Title"} {
		consoleScriptVars[v] = "{" + v + "}"
	}
}

// ConsoleMsgs is the page's data-msgs attribute: the scripts' messages in the page's language, as JSON
// (id → text with {Name} placeholders).
func (p Page) ConsoleMsgs() string {
	ids := append(ConsoleScriptMessages(), protocol.EndReasonMessages()...)
	m := make(map[string]string, len(ids))
	for _, id := range ids {
		m[id] = p.Say(id, consoleScriptVars)
	}
	b, err := json.Marshal(m)
	if err != nil {
		// A map of strings always encodes; the scripts would show ids.
		return "{}"
	}
	return string(b)
}

// ConsoleScriptMessages lists the ids of ConsoleMsgs, for tests.
func ConsoleScriptMessages() []string { return append([]string(nil), consoleScriptMessages...) }
