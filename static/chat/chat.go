// Package chat holds the chat widget (chat.js, chat.css) that every page
// with a conversation uses: the engineer's viewer and the invitation page,
// served by the server under /static/chat/, and the consent page the agent
// serves on the customer's computer. One copy, so the pages cannot drift
// apart; the package embeds nothing else, so the agent stays small.
package chat

import "embed"

// Files holds chat.js and chat.css.
//
//go:embed chat.js chat.css
var Files embed.FS
