package awsauth

import (
	"strings"
)

// ARN is a parsed AWS principal ARN, normalised: an assumed-role session
// (arn:aws:sts::ACCT:assumed-role/ROLE/SESSION) becomes its role
// (arn:aws:iam::ACCT:role/ROLE). The session ARN does not carry the role's IAM path, so
// roles are compared by partition, account and name alone (RoleName), never by path.
type ARN struct {
	Partition string // aws, aws-cn, aws-us-gov
	Service   string // iam, sts
	Account   string // 12 digits
	Resource  string // role/NAME (path dropped), user/path/NAME, federated-user/NAME, …
	RoleName  string // the role's name when Resource is a role
	Session   string // the session name of an assumed-role ARN
}

// ParseARN parses and normalises a principal ARN.
func ParseARN(s string) (ARN, bool) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] == "" || parts[3] != "" || !isAccount(parts[4]) || parts[5] == "" {
		return ARN{}, false
	}
	a := ARN{Partition: parts[1], Service: parts[2], Account: parts[4], Resource: parts[5]}
	switch {
	case a.Service == "sts" && strings.HasPrefix(a.Resource, "assumed-role/"):
		role, session, ok := strings.Cut(strings.TrimPrefix(a.Resource, "assumed-role/"), "/")
		if !ok || role == "" || session == "" {
			return ARN{}, false
		}
		a.Service, a.Resource, a.RoleName, a.Session = "iam", "role/"+role, role, session
	case a.Service == "iam" && strings.HasPrefix(a.Resource, "role/"):
		name := a.Resource[strings.LastIndexByte(a.Resource, '/')+1:]
		if name == "" {
			return ARN{}, false
		}
		a.Resource, a.RoleName = "role/"+name, name
	}
	return a, true
}

// String is the normalised ARN.
func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + "::" + a.Account + ":" + a.Resource
}

// Matches reports whether the caller c is the principal a names: the same role (partition,
// account, name), or the same ARN.
func (a ARN) Matches(c ARN) bool {
	if a.Partition != c.Partition || a.Account != c.Account {
		return false
	}
	if a.RoleName != "" || c.RoleName != "" {
		return a.RoleName == c.RoleName && a.RoleName != ""
	}
	return a.Service == c.Service && a.Resource == c.Resource
}

func isAccount(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// IsAccount reports whether s is a 12-digit AWS account id.
func IsAccount(s string) bool { return isAccount(s) }
