DROP TABLE recording_chunks;
--bun:split
DROP TABLE recordings;
