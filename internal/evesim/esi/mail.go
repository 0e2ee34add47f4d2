package esi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"
	"unicode/utf8"
)

// Mail is an EVE mail sent through the simulator, kept for tests.
type Mail struct {
	ID           int32
	From         int32
	Recipients   []Recipient
	Subject      string
	Body         string
	ApprovedCost int64
	Sent         time.Time
}

// Recipient is a mail's addressee.
type Recipient struct {
	ID   int32
	Type string // alliance, character, corporation or mailing_list
}

// SentMails lists the mails sent so far, oldest first.
func (s *Server) SentMails() []Mail {
	s.mailMu.Lock()
	defer s.mailMu.Unlock()
	out := slices.Clone(s.mails)
	for i := range out {
		out[i].Recipients = slices.Clone(out[i].Recipients)
	}
	return out
}

// statusEVEServer is ESI's 520: an error the EVE server itself raised.
const statusEVEServer = 520

// mailRequest is the spec's PostCharactersCharacterIdMail_request; the
// pointers tell a missing field from an empty one.
type mailRequest struct {
	ApprovedCost int64              `json:"approved_cost"`
	Body         *string            `json:"body"`
	Recipients   []mailRecipientReq `json:"recipients"`
	Subject      *string            `json:"subject"`
}

type mailRecipientReq struct {
	RecipientID   *int64  `json:"recipient_id"`
	RecipientType *string `json:"recipient_type"`
}

var recipientTypes = []string{"alliance", "character", "corporation", "mailing_list"}

// parseMail validates a send-mail body against the spec's schema.
func parseMail(body io.Reader) (mailRequest, error) {
	var m mailRequest
	if err := json.NewDecoder(body).Decode(&m); err != nil {
		return m, fmt.Errorf("invalid JSON body: %w", err)
	}
	switch {
	case m.Body == nil:
		return m, fmt.Errorf("body is required")
	case m.Subject == nil:
		return m, fmt.Errorf("subject is required")
	case m.Recipients == nil:
		return m, fmt.Errorf("recipients is required")
	case len(m.Recipients) < 1 || len(m.Recipients) > 50:
		return m, fmt.Errorf("recipients: %d given, 1 to 50 allowed", len(m.Recipients))
	case utf8.RuneCountInString(*m.Subject) > 1000:
		return m, fmt.Errorf("subject longer than 1000 characters")
	case utf8.RuneCountInString(*m.Body) > 10000:
		return m, fmt.Errorf("body longer than 10000 characters")
	case m.ApprovedCost < 0:
		return m, fmt.Errorf("approved_cost is negative")
	}
	for i, r := range m.Recipients {
		if r.RecipientID == nil || r.RecipientType == nil {
			return m, fmt.Errorf("recipients[%d]: recipient_id and recipient_type are required", i)
		}
		if !slices.Contains(recipientTypes, *r.RecipientType) {
			return m, fmt.Errorf("recipients[%d]: recipient_type %q unknown", i, *r.RecipientType)
		}
		if *r.RecipientID < 1 || *r.RecipientID > 1<<31-1 {
			return m, fmt.Errorf("recipients[%d]: recipient_id %d out of range", i, *r.RecipientID)
		}
	}
	return m, nil
}

// The EVE server's own limits on sending mail, which ESI passes on as a
// 520 (the legacy spec: "Internal error thrown from the EVE server. Most of
// the time this means you have hit an EVE server rate limit") with the
// server's reason as the error. Neucore waits so as to send at most 4 mails
// a minute; the simulator refuses the fifth within any 60 seconds of one
// sender, counting the mails that went out.
const (
	MailLimit       = 4
	MailLimitWindow = time.Minute
	// ErrMailSpam and ErrContactCost are the EVE server's reasons, the
	// error of the 520.
	ErrMailSpam    = "MailStopSpamming"
	ErrContactCost = "ContactCostNotApproved"
)

// SetCSPACharge sets the CSPA charge (ISK) a character asks of those who
// contact it: a mail to it is refused with a 520 ContactCostNotApproved
// unless approved_cost covers the charges of all its recipients. 0
// removes the charge.
func (s *Server) SetCSPACharge(characterID int32, isk int64) error {
	if isk < 0 {
		return fmt.Errorf("a CSPA charge of %d is negative", isk)
	}
	if _, err := s.u.Character(characterID); err != nil {
		return err
	}
	s.mailMu.Lock()
	defer s.mailMu.Unlock()
	if isk == 0 {
		delete(s.cspa, characterID)
	} else {
		s.cspa[characterID] = isk
	}
	return nil
}

// sendMail stores the mail and answers 201 with its id as a bare integer.
// Recipients are not looked up: ESI accepts any well-formed id and the
// mail bounces in game. The EVE server refuses (520) a sender over the
// mail limit and a mail whose recipients' CSPA charges are not approved.
func (s *Server) sendMail(_ context.Context, c *call) (result, error) {
	req, err := parseMail(io.LimitReader(c.r.Body, maxBodyBytes))
	if err != nil {
		return result{}, errBadRequest(err.Error())
	}
	s.mailMu.Lock()
	defer s.mailMu.Unlock()
	var cost int64
	for _, r := range req.Recipients {
		if *r.RecipientType == "character" {
			cost += s.cspa[int32(*r.RecipientID)]
		}
	}
	if cost > req.ApprovedCost {
		return result{}, &apiError{status: statusEVEServer, msg: ErrContactCost}
	}
	recent := 0
	for _, m := range s.mails {
		if m.From == c.grant.CharacterID && c.now.Before(m.Sent.Add(MailLimitWindow)) {
			recent++
		}
	}
	if recent >= MailLimit {
		return result{}, &apiError{status: statusEVEServer, msg: ErrMailSpam}
	}
	m := Mail{
		From: c.grant.CharacterID, Subject: *req.Subject, Body: *req.Body, ApprovedCost: req.ApprovedCost,
		Sent: c.now.UTC(),
	}
	for _, r := range req.Recipients {
		m.Recipients = append(m.Recipients, Recipient{ID: int32(*r.RecipientID), Type: *r.RecipientType})
	}
	s.nextMailID++
	m.ID = s.nextMailID
	s.mails = append(s.mails, m)
	return result{status: http.StatusCreated, body: m.ID}, nil
}
