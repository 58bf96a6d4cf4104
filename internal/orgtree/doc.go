// Package orgtree owns the pure logic of Rostersync's org chart: how a member's
// name is shown (DisplayName) and matched (Normalize), which member is the
// configured head (FindHead), and which manager each member is stored with
// (Resolve). Nothing here does I/O; callers pass what the store staged.
//
// Name matching is case-, accent- and whitespace-insensitive: "José  Álvarez",
// "jose alvarez" and a decomposed (NFD) "José Álvarez" are the same name. We
// chose accent-insensitivity because the head name is typed by an operator on
// any keyboard and Justworks sends names in NFC or NFD; two real people whose
// names differ only by accents are then reported as an ambiguous head, which is
// the safe failure.
//
// Resolve's rules (all members are considered, whatever their status: a
// terminated manager still anchors whoever Justworks says reports to them):
//
//   - The head is the root of the stored chart: its stored manager is null even
//     when Justworks gives it a manager_id, and no problem is reported for it.
//     Because the head's own manager_id is ignored, a loop that passes through
//     the head is not a cycle: it ends at the head.
//   - A member on a reporting cycle (a self-manager included) is a "cycle"
//     problem; the detail names the cycle's ids starting from that member.
//   - A member whose own manager_id is not in the roster is an
//     "unknown_manager" problem; the detail has the missing id.
//   - Any other member whose chain does not reach the head is an
//     "outside_tree" problem: second roots (no manager_id, not the head) and
//     everyone whose chain ends at a second root, an unknown manager or a
//     cycle. The detail says where the chain ends.
//   - Problem members are stored with a null manager (absent from
//     Result.Managers); everyone else is stored with their manager_id, which
//     then always leads to the head.
//
// So every distinct member id is exactly one of: the head, a key of
// Result.Managers, or the MemberID of exactly one Problem.
//
// When the same id appears more than once, the last copy wins (as with
// Justworks pages). An empty or unknown headID leaves no member able to reach a
// head, so every member becomes a problem.
package orgtree
