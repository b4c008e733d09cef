package protocol

// EndEngineerDeactivated is the reason a session ends when an admin deactivated its engineer's account
// (decided by the server, like EndExpired).
const EndEngineerDeactivated = "the engineer's account was deactivated"
