package mcperr

// Violation is one failed check: where (a JSON pointer into the instance),
// which keyword, and a message that says what is allowed.
type Violation struct {
	Pointer string `json:"pointer"`
	Keyword string `json:"keyword"`
	Message string `json:"message"`
}

func (v Violation) String() string {
	p := v.Pointer
	if p == "" {
		p = "/"
	}
	return p + ": " + v.Message
}
