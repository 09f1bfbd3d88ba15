package envelope

import (
	"slices"
	"strings"
)

// findRecipient locates the recipients a reference may name: byID is the
// one with the same provider id, byEmail one with the same email that is
// free to be that recipient (it has no id, or the reference has none).
// Either is -1 when absent. Both can be found, and differ, when the same
// person was first seen once by id and once by email only.
func (r *Record) findRecipient(ref RecipientRef) (byID, byEmail int) {
	byID, byEmail = -1, -1
	for i, rc := range r.Recipients {
		if ref.ID != "" && rc.ID == ref.ID {
			byID = i
			continue
		}
		if byEmail < 0 && (rc.ID == "" || ref.ID == "") && ref.Same(RecipientRef{ID: rc.ID, Email: rc.Email}) {
			byEmail = i
		}
	}
	return byID, byEmail
}

// recipientFor returns the index of the recipient ref names, creating it at
// state sent if new, merging an email-only entry into the one with the id
// once a reference links the two, and filling in a missing id or email. The
// result does not depend on the order references arrive in. Recipients stay
// sorted by Key; the returned index is valid after sorting.
func (r *Record) recipientFor(ref RecipientRef) int {
	email := strings.ToLower(ref.Email)
	byID, byEmail := r.findRecipient(ref)
	var rc Recipient
	switch {
	case byID >= 0 && byEmail >= 0:
		rc = mergeRecipients(r.Recipients[byID], r.Recipients[byEmail])
		r.Recipients = slices.Delete(r.Recipients, max(byID, byEmail), max(byID, byEmail)+1)
		r.Recipients = slices.Delete(r.Recipients, min(byID, byEmail), min(byID, byEmail)+1)
	case byID >= 0:
		rc = r.Recipients[byID]
		r.Recipients = slices.Delete(r.Recipients, byID, byID+1)
	case byEmail >= 0:
		rc = r.Recipients[byEmail]
		r.Recipients = slices.Delete(r.Recipients, byEmail, byEmail+1)
	default:
		rc = Recipient{State: RecipientSent}
	}
	if rc.ID == "" {
		rc.ID = ref.ID
	}
	if rc.Email == "" {
		rc.Email = email
	}
	i, _ := slices.BinarySearchFunc(r.Recipients, rc.Key(), func(x Recipient, k string) int {
		return strings.Compare(x.Key(), k)
	})
	r.Recipients = slices.Insert(r.Recipients, i, rc)
	return i
}

// mergeRecipients joins two records of the same person: the higher state
// (the one with the id on a tie) and the sum of the counters, since each
// counted a different event.
func mergeRecipients(withID, emailOnly Recipient) Recipient {
	out := withID
	if emailOnly.State.Rank() > withID.State.Rank() {
		out.State = emailOnly.State
	}
	if out.Email == "" {
		out.Email = emailOnly.Email
	}
	out.DeliveryFailures += emailOnly.DeliveryFailures
	out.AuthFailures += emailOnly.AuthFailures
	return out
}
