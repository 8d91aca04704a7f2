package awslambda

import (
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/kafkafn/kafkafn/shared/platform"
)

// callerV2 extracts what an HTTP API (payload 2.0) or Function URL authorizer verified:
// requestContext.authorizer.iam, .jwt or .lambda. Headers are never consulted.
func callerV2(a *events.APIGatewayV2HTTPRequestContextAuthorizerDescription) *platform.Caller {
	switch {
	case a == nil:
		return nil
	case a.IAM != nil && a.IAM.UserARN != "":
		return &platform.Caller{IAM: &platform.IAMCaller{UserARN: a.IAM.UserARN, AccountID: a.IAM.AccountID,
			CallerID: a.IAM.CallerID, AccessKey: a.IAM.AccessKey}}
	case a.JWT != nil && len(a.JWT.Claims) > 0:
		return &platform.Caller{JWT: &platform.JWTCaller{Claims: a.JWT.Claims, Scopes: a.JWT.Scopes}}
	case a.Lambda != nil:
		id, _ := a.Lambda["principalId"].(string)
		return &platform.Caller{Authorizer: &platform.AuthorizerCaller{PrincipalID: id, Context: a.Lambda}}
	}
	return nil
}

// callerREST extracts what a REST API (payload 1.0) verified: requestContext.identity.userArn
// under AWS_IAM, requestContext.authorizer.claims under a Cognito authorizer, and
// requestContext.authorizer.principalId under a Lambda authorizer.
func callerREST(rc events.APIGatewayProxyRequestContext) *platform.Caller {
	if id := rc.Identity; id.UserArn != "" { //nolint:staticcheck // the field's name in aws-lambda-go
		return &platform.Caller{IAM: &platform.IAMCaller{UserARN: id.UserArn, AccountID: id.AccountID, //nolint:staticcheck // same
			CallerID: id.Caller, AccessKey: id.AccessKey}}
	}
	if rc.Authorizer == nil {
		return nil
	}
	if claims, ok := rc.Authorizer["claims"].(map[string]any); ok && len(claims) > 0 {
		c := make(map[string]string, len(claims))
		for k, v := range claims {
			if s, ok := v.(string); ok {
				c[k] = s
			} else {
				c[k] = fmt.Sprint(v)
			}
		}
		return &platform.Caller{JWT: &platform.JWTCaller{Claims: c}}
	}
	id, _ := rc.Authorizer["principalId"].(string)
	if id == "" {
		return nil
	}
	return &platform.Caller{Authorizer: &platform.AuthorizerCaller{PrincipalID: id, Context: rc.Authorizer}}
}
