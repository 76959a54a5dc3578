// Package filetail is the filetail source connector: it tails log files
// into a topic, as Filebeat or Fluent Bit would, and registers itself
// through the public plugin API as "filetail" (alias
// conflux.connectors.filetail.FileTailSourceConnector); import it for its
// side effect.
//
// # Discovery
//
// paths are globs (path.Match syntax per segment, "**" for any number of
// directories), exclude removes files by path or name. A periodic scan
// (poll.interval.ms) is the source of truth: it lists the matching
// regular files and identifies each by device and inode, plus a
// fingerprint (FNV-1a of its first 1024 bytes, or fewer while the file is
// shorter). fsnotify events on the directories involved only make the
// task look sooner; they are never trusted alone (they are lost on NFS and
// on queue overflow, and carry no sizes).
//
// # Rotation, truncation, deletion
//
// An open file is read through its descriptor, so a file renamed away
// (rename rotation) or deleted is still read to its end: it is finished,
// last line without newline included, once it has been gone for one scan
// interval, and files that are gone are read before the others, so the
// old file's lines come before the new one's. A file renamed to another
// matching name keeps its identity and offset. A file whose size drops
// below what was read, or whose leading bytes change (copytruncate), is
// read again from offset 0.
//
// # Records and offsets
//
// Each complete line (\n or \r\n, not part of the value) becomes a record:
// a string value (or, with parse=json, the decoded JSON value), no key,
// and the headers filetail.path, filetail.offset (byte offset of the
// line's start) and filetail.file.id ("dev:inode"). A last line without
// its newline waits for it. Lines longer than max.line.bytes are split at
// a UTF-8 boundary or skipped (max.line.action), never stopping the file.
// multiline.* joins lines the way Filebeat's multiline parser does.
//
// The source partition is {"file.id": "dev:inode"} and the offset
// {"position": bytes after the record's last line, "fingerprint",
// "fingerprint.length", "path"}. Positions count bytes, never characters,
// so multi-byte UTF-8 resumes exactly. On restart a file resumes from its
// stored position if its fingerprint still matches, else from the start.
//
// The one thing to know: offsets are committed only once Kafka has
// acknowledged the records, so after a crash lines may be published again
// (at least once), never skipped; a pending multiline event is never
// covered by a committed offset.
package filetail
