package envelope

// stateRank orders envelope states; terminal states share the top rank.
var stateRank = map[State]int{
	StateCreated:         1,
	StateSent:            2,
	StateDelivered:       3,
	StatePartiallySigned: 4,
	StateCompleted:       5,
	StateDeclined:        5,
	StateVoided:          5,
	StateExpired:         5,
}

// Valid reports whether s is one of the envelope states.
func (s State) Valid() bool { return stateRank[s] > 0 }

// Terminal reports whether s is completed, declined, voided or expired.
func (s State) Terminal() bool { return stateRank[s] == stateRank[StateCompleted] }

// Rank orders envelope states (created is 1, terminal states 5); an invalid
// state ranks 0.
func (s State) Rank() int { return stateRank[s] }

// RecipientState is a recipient's progress through an envelope.
type RecipientState string

// Recipient states; signed and declined are final.
const (
	RecipientSent      RecipientState = "sent"
	RecipientDelivered RecipientState = "delivered"
	RecipientSigned    RecipientState = "signed"
	RecipientDeclined  RecipientState = "declined"
)

var recipientRank = map[RecipientState]int{
	RecipientSent:      1,
	RecipientDelivered: 2,
	RecipientSigned:    3,
	RecipientDeclined:  3,
}

// Valid reports whether s is one of the recipient states.
func (s RecipientState) Valid() bool { return recipientRank[s] > 0 }

// Rank orders recipient states (sent is 1, signed and declined 3); an
// invalid state ranks 0.
func (s RecipientState) Rank() int { return recipientRank[s] }

// stateForType is the envelope state an envelope-level event moves to.
var stateForType = map[Type]State{
	TypeSent:      StateSent,
	TypeDelivered: StateDelivered,
	TypeCompleted: StateCompleted,
	TypeDeclined:  StateDeclined,
	TypeVoided:    StateVoided,
	TypeExpired:   StateExpired,
}
