package history

import (
	"cmp"
	"slices"
)

// sortSeries orders series by connector, task (numerically when both are
// numbers), then family.
func sortSeries(s []Series) {
	slices.SortFunc(s, func(a, b Series) int {
		return cmp.Or(
			cmp.Compare(a.Connector, b.Connector),
			compareTask(a.Task, b.Task),
			cmp.Compare(a.Family, b.Family),
		)
	})
}

// compareTask compares task ids as numbers, so that 10 follows 9.
func compareTask(a, b string) int {
	return cmp.Or(cmp.Compare(len(a), len(b)), cmp.Compare(a, b))
}
