// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsemu

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Input constraints from the IAM API reference. Violations are answered with
// IAM's "1 validation error detected: ..." ValidationError, so that a client
// bug shows up with the same text it would get from AWS.
var (
	entityNameRE  = regexp.MustCompile(`^[\w+=,.@-]+$`)
	pathRE        = regexp.MustCompile(`^(/|/[\x21-\x7e]*/)$`)
	pathPrefixRE  = regexp.MustCompile(`^/[\x21-\x7f]*$`)
	descriptionRE = regexp.MustCompile(`^[\t\n\r\x20-\x7e\x{a1}-\x{ff}]*$`)
	tagRE         = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
	policyARNRE   = regexp.MustCompile(`^arn:aws[a-z-]*:iam::(aws|[0-9]{12}):policy(/|/[\x21-\x7e]*/)([\w+=,.@-]+)$`)
	roleARNRE     = regexp.MustCompile(`^arn:aws[a-z-]*:iam::([0-9]{12}):role(/|/[\x21-\x7e]*/)([\w+=,.@-]+)$`)
	sessionNameRE = regexp.MustCompile(`^[\w+=,.@-]*$`)
	externalIDRE  = regexp.MustCompile(`^[\w+=,.@:/-]*$`)
)

func validationError(value, field, constraint string) *apiError {
	return errValidation("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, field, constraint)
}

// checkLength checks a string's length in characters.
func checkLength(value, field string, minLen, maxLen int) *apiError {
	n := utf8.RuneCountInString(value)
	if n < minLen {
		return validationError(value, field, "Member must have length greater than or equal to "+strconv.Itoa(minLen))
	}
	if n > maxLen {
		return validationError(value, field, "Member must have length less than or equal to "+strconv.Itoa(maxLen))
	}
	return nil
}

func checkPattern(value, field string, re *regexp.Regexp, pattern string) *apiError {
	if !re.MatchString(value) {
		return validationError(value, field, "Member must satisfy regular expression pattern: "+pattern)
	}
	return nil
}

// entityName reads and checks a required IAM name parameter (RoleName,
// PolicyName, InstanceProfileName).
func entityName(p params, param string, maxLen int) (string, *apiError) {
	v, err := p.required(param)
	if err != nil {
		return "", err
	}
	field := lowerFirst(param)
	if err := checkLength(v, field, 1, maxLen); err != nil {
		return "", err
	}
	if err := checkPattern(v, field, entityNameRE, `[\w+=,.@-]+`); err != nil {
		return "", err
	}
	return v, nil
}

// pathParam reads an optional Path, defaulting to "/".
func pathParam(p params) (string, *apiError) {
	v, ok := p.str("Path")
	if !ok {
		return "/", nil
	}
	if err := checkLength(v, "path", 1, 512); err != nil {
		return "", err
	}
	if err := checkPattern(v, "path", pathRE, `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`); err != nil {
		return "", err
	}
	return v, nil
}

// pathPrefixParam reads an optional PathPrefix, defaulting to "/".
func pathPrefixParam(p params) (string, *apiError) {
	v, ok := p.str("PathPrefix")
	if !ok {
		return "/", nil
	}
	if err := checkLength(v, "pathPrefix", 1, 512); err != nil {
		return "", err
	}
	if err := checkPattern(v, "pathPrefix", pathPrefixRE, `\u002F[\u0021-\u007F]*`); err != nil {
		return "", err
	}
	return v, nil
}

// descriptionParam reads an optional Description.
func descriptionParam(p params) (string, bool, *apiError) {
	v, ok := p.str("Description")
	if !ok {
		return "", false, nil
	}
	if err := checkLength(v, "description", 0, 1000); err != nil {
		return "", false, err
	}
	if err := checkPattern(v, "description", descriptionRE, `[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*`); err != nil {
		return "", false, err
	}
	return v, true, nil
}

// maxSessionParam reads an optional MaxSessionDuration (seconds, 1 to 12 hours).
func maxSessionParam(p params) (int, bool, *apiError) {
	n, ok, err := p.integer("MaxSessionDuration")
	if err != nil || !ok {
		return 0, ok, err
	}
	if n < 3600 {
		return 0, false, validationError(strconv.Itoa(n), "maxSessionDuration", "Member must have value greater than or equal to 3600")
	}
	if n > 43200 {
		return 0, false, validationError(strconv.Itoa(n), "maxSessionDuration", "Member must have value less than or equal to 43200")
	}
	return n, true, nil
}

// policyDocParam reads a required policy document parameter.
func policyDocParam(p params, param string) (string, *apiError) {
	v, err := p.required(param)
	if err != nil {
		return "", err
	}
	if err := checkLength(v, lowerFirst(param), 1, 131072); err != nil {
		return "", err
	}
	return v, nil
}

// checkTags validates tags as TagRole and the Create* calls do.
func checkTags(tags []Tag, existing []Tag) *apiError {
	if len(tags) > 50 {
		return validationError("["+strconv.Itoa(len(tags))+" tags]", "tags", "Member must have length less than or equal to 50")
	}
	seen := map[string]bool{}
	for _, t := range tags {
		if err := checkLength(t.Key, "tags.member.key", 1, 128); err != nil {
			return err
		}
		if err := checkPattern(t.Key, "tags.member.key", tagRE, `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`); err != nil {
			return err
		}
		if err := checkLength(t.Value, "tags.member.value", 0, 256); err != nil {
			return err
		}
		if err := checkPattern(t.Value, "tags.member.value", tagRE, `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`); err != nil {
			return err
		}
		k := strings.ToLower(t.Key)
		if seen[k] {
			return errInvalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[k] = true
	}
	if len(setTags(existing, tags)) > 50 {
		return errLimitExceeded("The number of tags has reached the maximum limit.")
	}
	return nil
}

// policyARNParam reads a required managed policy ARN parameter.
func policyARNParam(p params, param string) (string, *apiError) {
	v, err := p.required(param)
	if err != nil {
		return "", err
	}
	if err := checkLength(v, lowerFirst(param), 20, 2048); err != nil {
		return "", err
	}
	if !policyARNRE.MatchString(v) {
		return "", errInvalidInput("ARN %s is not valid.", v)
	}
	return v, nil
}
