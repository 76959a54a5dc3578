package console

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// newTable returns a writer that aligns tab-separated columns with at
// least two spaces between them, like kafka-consumer-groups' tables.
func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
}

// WriteGroupList prints groups as a table: GROUP, STATE and PROTOCOL-TYPE.
func WriteGroupList(w io.Writer, groups []GroupListing) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "GROUP\tSTATE\tPROTOCOL-TYPE")
	for _, g := range groups {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", g.Group, dash(g.State), dash(g.ProtocolType))
	}
	return tw.Flush()
}

// WriteGroupOffsets prints groups the way kafka-consumer-groups --describe
// does: one row per partition with the committed offset, the log end
// offset, the lag and the member owning it, then one row per member that
// owns no partition. A group without members is announced as such before
// its committed offsets, a rebalancing one with a warning.
func WriteGroupOffsets(w io.Writer, descs []GroupDescription) error {
	for _, d := range descs {
		fmt.Fprintln(w)
		groupNotice(w, &d)
		tw := newTable(w)
		fmt.Fprintln(tw, "GROUP\tTOPIC\tPARTITION\tCURRENT-OFFSET\tLOG-END-OFFSET\tLAG\tCONSUMER-ID\tHOST\tCLIENT-ID")
		for _, p := range d.Partitions {
			lag := "-"
			if l, ok := p.Lag(); ok {
				lag = strconv.FormatInt(l, 10)
			}
			consumer, host, client := "-", "-", "-"
			if p.Member != nil {
				consumer, host, client = p.Member.MemberID, dash(p.Member.Host), dash(p.Member.ClientID)
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s", d.Group, p.Topic, p.Partition,
				offsetOrDash(p.Committed), offsetOrDash(p.LogEnd), lag, consumer, host, client)
			if p.Err != nil {
				fmt.Fprintf(tw, "\t(%v)", p.Err)
			}
			fmt.Fprintln(tw)
		}
		for _, m := range d.Members {
			if m.PartitionCount() == 0 {
				fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t-\t%s\t%s\t%s\n", d.Group, m.MemberID, dash(m.Host), dash(m.ClientID))
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// WriteGroupMembers prints the members of groups (kafka-consumer-groups
// --describe --members): id, host, client id and partition count, and with
// verbose their assignment as topic(p,p,...).
func WriteGroupMembers(w io.Writer, descs []GroupDescription, verbose bool) error {
	for _, d := range descs {
		fmt.Fprintln(w)
		groupNotice(w, &d)
		if len(d.Members) == 0 {
			continue
		}
		tw := newTable(w)
		fmt.Fprint(tw, "GROUP\tCONSUMER-ID\tHOST\tCLIENT-ID\t#PARTITIONS")
		if verbose {
			fmt.Fprint(tw, "\tASSIGNMENT")
		}
		fmt.Fprintln(tw)
		for _, m := range d.Members {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d", d.Group, m.MemberID, dash(m.Host), dash(m.ClientID), m.PartitionCount())
			if verbose {
				fmt.Fprintf(tw, "\t%s", assignmentString(m.Assignment))
			}
			fmt.Fprintln(tw)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// WriteGroupStates prints one line per group (kafka-consumer-groups
// --describe --state): coordinator, assignment strategy, state and member
// count.
func WriteGroupStates(w io.Writer, descs []GroupDescription) error {
	fmt.Fprintln(w)
	tw := newTable(w)
	fmt.Fprintln(tw, "GROUP\tCOORDINATOR (ID)\tASSIGNMENT-STRATEGY\tSTATE\t#MEMBERS")
	for _, d := range descs {
		coord := "-"
		if d.Coordinator != "" {
			coord = fmt.Sprintf("%s (%d)", d.Coordinator, d.CoordinatorID)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\n", d.Group, coord, dash(d.Protocol), d.State, len(d.Members))
	}
	return tw.Flush()
}

// WriteOffsetResets prints a reset-offsets plan: GROUP, TOPIC, PARTITION
// and NEW-OFFSET.
func WriteOffsetResets(w io.Writer, group string, plan []OffsetReset) error {
	fmt.Fprintln(w)
	tw := newTable(w)
	fmt.Fprintln(tw, "GROUP\tTOPIC\tPARTITION\tNEW-OFFSET")
	for _, r := range plan {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\n", group, r.Topic, r.Partition, r.Offset)
	}
	return tw.Flush()
}

// groupNotice prints the line kafka-consumer-groups shows above the table
// of a group without members or of a rebalancing group.
func groupNotice(w io.Writer, d *GroupDescription) {
	switch {
	case len(d.Members) == 0:
		fmt.Fprintf(w, "Consumer group '%s' has no active members.\n\n", d.Group)
	case d.Rebalancing():
		fmt.Fprintf(w, "Warning: Consumer group '%s' is rebalancing.\n\n", d.Group)
	}
}

// assignmentString formats an assignment as topic(0,1),other(2), topics
// sorted; "-" when empty.
func assignmentString(a map[string][]int32) string {
	if len(a) == 0 {
		return "-"
	}
	topics := make([]string, 0, len(a))
	for t := range a {
		topics = append(topics, t)
	}
	slices.Sort(topics)
	parts := make([]string, len(topics))
	for i, t := range topics {
		parts[i] = t + "(" + ids(a[t]) + ")"
	}
	return strings.Join(parts, ",")
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func offsetOrDash(o int64) string {
	if o < 0 {
		return "-"
	}
	return strconv.FormatInt(o, 10)
}
