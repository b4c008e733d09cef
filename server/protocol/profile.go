package protocol

// EndEngineerDeleted is the reason a session ends when its engineer deleted their own account (decided
// by the server, like EndEngineerDeactivated).
const EndEngineerDeleted = "the engineer's account was deleted"
