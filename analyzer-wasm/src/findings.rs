//! Security findings: rules that flag individual CloudTrail events.
//!
//! The CloudWatch.* rules are the CIS AWS Foundations Benchmark monitoring
//! recommendations as AWS Security Hub's CloudWatch.1-14 controls state them:
//! each control asks for a CloudWatch Logs metric filter over the trail, and
//! each rule here matches exactly the events that control's metric filter
//! pattern matches (quoted above each rule). The CIS.4.15 rule is the CIS
//! v1.4/v1.5 recommendation 4.15, which Security Hub has no control for, and
//! the CTA.* rules are this analyzer's own.
//!
//! The metric filters do not look at `errorCode`, so neither do these rules:
//! a failed `StopLogging` or `DeleteTrail` is reported like a successful one
//! (an attempt to blind the trail is worth a look either way). Where a filter
//! compares a field with `!=` and the field is absent, the rule treats the
//! absent field as "not equal", so a truncated record is reported rather than
//! missed.
//!
//! The severities are this analyzer's, for the event each rule flags; Security
//! Hub rates its CloudWatch controls (whether an alarm exists) separately.
//!
//! `Findings` is a mergeable state like `Stats`: two states merge into the
//! state that checking both inputs together would have given, and
//! [`Findings::report`] turns a state into the final list.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::csv;
use crate::event::{Event, Field};

/// Findings kept in a state before the rest only count as dropped.
pub const DEFAULT_MAX_FINDINGS: usize = 10_000;
pub const DEFAULT_BURST_THRESHOLD: u64 = 20;
pub const DEFAULT_BURST_WINDOW_MINUTES: u64 = 5;
/// (principal, window) pairs whose access-denied calls a state counts
/// exactly. Past this, the pairs with the fewest calls are forgotten (their
/// calls add to [`Findings::burst_untracked`]), keeping the busiest half.
pub const MAX_BURST_KEYS: usize = 20_000;
/// The severities a rule can have, least severe first.
pub const SEVERITIES: [&str; 4] = ["low", "medium", "high", "critical"];

/// The rule whose findings are made at report time from counts.
pub const BURST_RULE: &str = "CTA.6";

// ---------------------------------------------------------------------------
// Configuration

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RulesConfig {
    /// Rule ids turned off.
    pub disabled: Vec<String>,
    /// Principals (as in [`Finding::principal`], usually an ARN) never
    /// reported; a trailing `*` matches any principal starting with the rest.
    pub allow_principals: Vec<String>,
    /// IPv4 and IPv6 networks (`10.0.0.0/8`, `2001:db8::/32`, or a single
    /// address) whose `sourceIPAddress` is never reported.
    pub allow_cidrs: Vec<String>,
    /// Rule id to `low`, `medium`, `high` or `critical`.
    pub severity: BTreeMap<String, String>,
    pub access_denied_burst: BurstConfig,
    /// Findings kept; past it the rest count in [`Findings::dropped`].
    pub max_findings: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BurstConfig {
    /// Access-denied calls by one principal in one window that make a finding.
    pub threshold: u64,
    /// Windows are fixed: `floor(eventTime / window)`, counted from the epoch.
    pub window_minutes: u64,
}

impl Default for RulesConfig {
    fn default() -> Self {
        RulesConfig {
            disabled: Vec::new(),
            allow_principals: Vec::new(),
            allow_cidrs: Vec::new(),
            severity: BTreeMap::new(),
            access_denied_burst: BurstConfig::default(),
            max_findings: DEFAULT_MAX_FINDINGS,
        }
    }
}

impl Default for BurstConfig {
    fn default() -> Self {
        BurstConfig {
            threshold: DEFAULT_BURST_THRESHOLD,
            window_minutes: DEFAULT_BURST_WINDOW_MINUTES,
        }
    }
}

impl RulesConfig {
    /// Checks what serde cannot: rule ids, severities, CIDRs and ranges.
    /// Messages name the offending value and its field under `rules`.
    pub fn validate(&self) -> Result<(), String> {
        for id in &self.disabled {
            if rule(id).is_none() {
                return Err(format!("rules.disabled: unknown rule id {id:?}"));
            }
        }
        for (id, severity) in &self.severity {
            if rule(id).is_none() {
                return Err(format!("rules.severity: unknown rule id {id:?}"));
            }
            if !SEVERITIES.contains(&severity.as_str()) {
                return Err(format!(
                    "rules.severity.{id}: {severity:?} is not one of low, medium, high, critical"
                ));
            }
        }
        for pattern in &self.allow_principals {
            if pattern.is_empty() || pattern.trim_end_matches('*').contains('*') {
                return Err(format!(
                    "rules.allow_principals: {pattern:?} must be a principal, \
                     optionally ending in one *"
                ));
            }
        }
        for cidr in &self.allow_cidrs {
            Cidr::parse(cidr).map_err(|e| format!("rules.allow_cidrs: {e}"))?;
        }
        let burst = &self.access_denied_burst;
        if burst.threshold == 0 {
            return Err("rules.access_denied_burst.threshold must be at least 1".into());
        }
        if burst.window_minutes == 0 {
            return Err("rules.access_denied_burst.window_minutes must be at least 1".into());
        }
        Ok(())
    }

    pub fn is_disabled(&self, id: &str) -> bool {
        self.disabled.iter().any(|d| d == id)
    }

    /// Whether events of this principal or from this address are never reported.
    pub fn is_allowed(&self, principal: &str, source_ip: &str) -> bool {
        let principal_allowed = self
            .allow_principals
            .iter()
            .any(|p| match p.strip_suffix('*') {
                Some(prefix) => principal.starts_with(prefix),
                None => principal == p,
            });
        if principal_allowed {
            return true;
        }
        if self.allow_cidrs.is_empty() {
            return false;
        }
        let Ok(ip) = source_ip.trim().parse::<IpAddr>() else {
            return false;
        };
        self.allow_cidrs
            .iter()
            .filter_map(|c| Cidr::parse(c).ok())
            .any(|c| c.contains(ip))
    }

    fn severity_of(&self, id: &str) -> &str {
        match self.severity.get(id) {
            Some(severity) => severity,
            None => rule(id).map_or("medium", |r| r.severity),
        }
    }
}

/// An IPv4 or IPv6 network, as (network address, mask).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cidr {
    V4(u32, u32),
    V6(u128, u128),
}

impl Cidr {
    fn parse(text: &str) -> Result<Cidr, String> {
        let bad = || format!("{text:?} is not an IPv4 or IPv6 CIDR");
        let (addr, len) = match text.split_once('/') {
            Some((addr, len)) => (addr, Some(len)),
            None => (text, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| bad())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let len: u32 = match len {
            None => max,
            Some(len) if !len.is_empty() && len.bytes().all(|b| b.is_ascii_digit()) => {
                len.parse().ok().filter(|&n| n <= max).ok_or_else(bad)?
            }
            Some(_) => return Err(bad()),
        };
        // Host bits are ignored: 10.1.2.3/8 means 10.0.0.0/8.
        Ok(match addr {
            IpAddr::V4(a) => {
                let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
                Cidr::V4(u32::from(a) & mask, mask)
            }
            IpAddr::V6(a) => {
                let mask = u128::MAX.checked_shl(128 - len).unwrap_or(0);
                Cidr::V6(u128::from(a) & mask, mask)
            }
        })
    }

    fn contains(self, ip: IpAddr) -> bool {
        match (self, ip) {
            (Cidr::V4(net, mask), IpAddr::V4(a)) => u32::from(a) & mask == net,
            // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is its IPv4 address.
            (Cidr::V4(..), IpAddr::V6(a)) => a
                .to_ipv4_mapped()
                .is_some_and(|a| self.contains(IpAddr::V4(a))),
            (Cidr::V6(net, mask), IpAddr::V6(a)) => u128::from(a) & mask == net,
            (Cidr::V6(..), IpAddr::V4(_)) => false,
        }
    }
}

// ---------------------------------------------------------------------------
// Rules

/// One built-in rule.
#[derive(Debug)]
pub struct RuleInfo {
    pub id: &'static str,
    pub title: &'static str,
    pub severity: &'static str,
    test: Test,
}

#[derive(Debug, Clone, Copy)]
enum Test {
    /// `eventSource` is one of `sources` (any source when empty) and
    /// `eventName` is one of `names`: the shape of most CIS metric filters.
    Names {
        sources: &'static [&'static str],
        names: &'static [&'static str],
    },
    /// Any other test of one event.
    Custom(fn(&Event) -> bool),
    /// Access-denied calls counted per principal and window (CTA.6).
    Burst,
}

const ANY_SOURCE: &[&str] = &[];

/// Every built-in rule, in a stable order.
pub fn rules() -> &'static [RuleInfo] {
    RULES
}

/// The built-in rule with this id.
pub fn rule(id: &str) -> Option<&'static RuleInfo> {
    RULES.iter().find(|r| r.id == id)
}

static RULES: &[RuleInfo] = &[
    // CloudWatch.1 (CIS 1.2.0 3.3, 1.4.0 4.3):
    // {$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}
    RuleInfo {
        id: "CloudWatch.1",
        title: "Root user activity",
        severity: "high",
        test: Test::Custom(root_usage),
    },
    // CloudWatch.2 (CIS 1.2.0 3.1, 1.4.0 4.1):
    // {($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}
    // (Some CIS 1.5 texts append `|| ($.sourceIPAddress!="delivery.logs.amazonaws.com")
    // || ($.eventName!="HeadBucket")`, which as written matches nearly every
    // event; Security Hub checks the two errorCode terms, and so does this rule.)
    RuleInfo {
        id: "CloudWatch.2",
        title: "Unauthorized API call",
        severity: "low",
        test: Test::Custom(unauthorized_call),
    },
    // CloudWatch.3 (CIS 1.2.0 3.2, 1.4.0 4.2):
    // { ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes")
    //   && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }
    RuleInfo {
        id: "CloudWatch.3",
        title: "Console sign-in without MFA",
        severity: "medium",
        test: Test::Custom(console_login_without_mfa),
    },
    // CloudWatch.4 (CIS 1.2.0 3.4, 1.4.0 4.4):
    // {($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||($.eventName=DeleteUserPolicy)
    // ||($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||($.eventName=PutUserPolicy)
    // ||($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||($.eventName=CreatePolicyVersion)
    // ||($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)
    // ||($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||($.eventName=AttachGroupPolicy)
    // ||($.eventName=DetachGroupPolicy)}
    // No eventSource term: Organizations' CreatePolicy/DeletePolicy match too,
    // as they do in the metric filter (and CIS.4.15 as well).
    RuleInfo {
        id: "CloudWatch.4",
        title: "IAM policy change",
        severity: "medium",
        test: Test::Names {
            sources: ANY_SOURCE,
            names: &[
                "DeleteGroupPolicy",
                "DeleteRolePolicy",
                "DeleteUserPolicy",
                "PutGroupPolicy",
                "PutRolePolicy",
                "PutUserPolicy",
                "CreatePolicy",
                "DeletePolicy",
                "CreatePolicyVersion",
                "DeletePolicyVersion",
                "AttachRolePolicy",
                "DetachRolePolicy",
                "AttachUserPolicy",
                "DetachUserPolicy",
                "AttachGroupPolicy",
                "DetachGroupPolicy",
            ],
        },
    },
    // CloudWatch.5 (CIS 1.2.0 3.5, 1.4.0 4.5):
    // { ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail)
    //   || ($.eventName = StartLogging) || ($.eventName = StopLogging) }
    RuleInfo {
        id: "CloudWatch.5",
        title: "CloudTrail configuration change",
        severity: "high",
        test: Test::Names {
            sources: ANY_SOURCE,
            names: &[
                "CreateTrail",
                "UpdateTrail",
                "DeleteTrail",
                "StartLogging",
                "StopLogging",
            ],
        },
    },
    // CloudWatch.6 (CIS 1.2.0 3.6, 1.4.0 4.6):
    // { ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }
    RuleInfo {
        id: "CloudWatch.6",
        title: "Console authentication failure",
        severity: "low",
        test: Test::Custom(console_authentication_failure),
    },
    // CloudWatch.7 (CIS 1.2.0 3.7, 1.4.0 4.7):
    // {($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion))}
    // (The filter cannot tell customer-managed keys from others, nor can this rule.)
    RuleInfo {
        id: "CloudWatch.7",
        title: "KMS key disabled or scheduled for deletion",
        severity: "high",
        test: Test::Names {
            sources: &["kms.amazonaws.com"],
            names: &["DisableKey", "ScheduleKeyDeletion"],
        },
    },
    // CloudWatch.8 (CIS 1.2.0 3.8, 1.4.0 4.8):
    // { ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = PutBucketPolicy)
    //   || ($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication)
    //   || ($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors)
    //   || ($.eventName = DeleteBucketLifecycle) || ($.eventName = DeleteBucketReplication)) }
    RuleInfo {
        id: "CloudWatch.8",
        title: "S3 bucket policy change",
        severity: "medium",
        test: Test::Names {
            sources: &["s3.amazonaws.com"],
            names: &[
                "PutBucketAcl",
                "PutBucketPolicy",
                "PutBucketCors",
                "PutBucketLifecycle",
                "PutBucketReplication",
                "DeleteBucketPolicy",
                "DeleteBucketCors",
                "DeleteBucketLifecycle",
                "DeleteBucketReplication",
            ],
        },
    },
    // CloudWatch.9 (CIS 1.2.0 3.9, 1.4.0 4.9):
    // { ($.eventSource = config.amazonaws.com) && (($.eventName=StopConfigurationRecorder)
    //   ||($.eventName=DeleteDeliveryChannel)||($.eventName=PutDeliveryChannel)||($.eventName=PutConfigurationRecorder)) }
    RuleInfo {
        id: "CloudWatch.9",
        title: "AWS Config configuration change",
        severity: "high",
        test: Test::Names {
            sources: &["config.amazonaws.com"],
            names: &[
                "StopConfigurationRecorder",
                "DeleteDeliveryChannel",
                "PutDeliveryChannel",
                "PutConfigurationRecorder",
            ],
        },
    },
    // CloudWatch.10 (CIS 1.2.0 3.10, 1.4.0 4.10):
    // { ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress)
    //   || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress)
    //   || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }
    RuleInfo {
        id: "CloudWatch.10",
        title: "Security group change",
        severity: "low",
        test: Test::Names {
            sources: ANY_SOURCE,
            names: &[
                "AuthorizeSecurityGroupIngress",
                "AuthorizeSecurityGroupEgress",
                "RevokeSecurityGroupIngress",
                "RevokeSecurityGroupEgress",
                "CreateSecurityGroup",
                "DeleteSecurityGroup",
            ],
        },
    },
    // CloudWatch.11 (CIS 1.2.0 3.11, 1.4.0 4.11):
    // { ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || ($.eventName = DeleteNetworkAcl)
    //   || ($.eventName = DeleteNetworkAclEntry) || ($.eventName = ReplaceNetworkAclEntry)
    //   || ($.eventName = ReplaceNetworkAclAssociation) }
    RuleInfo {
        id: "CloudWatch.11",
        title: "Network ACL change",
        severity: "low",
        test: Test::Names {
            sources: ANY_SOURCE,
            names: &[
                "CreateNetworkAcl",
                "CreateNetworkAclEntry",
                "DeleteNetworkAcl",
                "DeleteNetworkAclEntry",
                "ReplaceNetworkAclEntry",
                "ReplaceNetworkAclAssociation",
            ],
        },
    },
    // CloudWatch.12 (CIS 1.2.0 3.12, 1.4.0 4.12):
    // { ($.eventName = CreateCustomerGateway) || ($.eventName = DeleteCustomerGateway)
    //   || ($.eventName = AttachInternetGateway) || ($.eventName = CreateInternetGateway)
    //   || ($.eventName = DeleteInternetGateway) || ($.eventName = DetachInternetGateway) }
    RuleInfo {
        id: "CloudWatch.12",
        title: "Network gateway change",
        severity: "medium",
        test: Test::Names {
            sources: ANY_SOURCE,
            names: &[
                "CreateCustomerGateway",
                "DeleteCustomerGateway",
                "AttachInternetGateway",
                "CreateInternetGateway",
                "DeleteInternetGateway",
                "DetachInternetGateway",
            ],
        },
    },
    // CloudWatch.13 (CIS 1.4.0 4.13, the Security Hub form):
    // {($.eventSource = ec2.amazonaws.com) && (($.eventName = CreateRoute) || ($.eventName = CreateRouteTable)
    //   || ($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation)
    //   || ($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable)) }
    RuleInfo {
        id: "CloudWatch.13",
        title: "Route table change",
        severity: "low",
        test: Test::Names {
            sources: &["ec2.amazonaws.com"],
            names: &[
                "CreateRoute",
                "CreateRouteTable",
                "ReplaceRoute",
                "ReplaceRouteTableAssociation",
                "DeleteRouteTable",
                "DeleteRoute",
                "DisassociateRouteTable",
            ],
        },
    },
    // CloudWatch.14 (CIS 1.2.0 3.14, 1.4.0 4.14):
    // { ($.eventName = CreateVpc) || ($.eventName = DeleteVpc) || ($.eventName = ModifyVpcAttribute)
    //   || ($.eventName = AcceptVpcPeeringConnection) || ($.eventName = CreateVpcPeeringConnection)
    //   || ($.eventName = DeleteVpcPeeringConnection) || ($.eventName = RejectVpcPeeringConnection)
    //   || ($.eventName = AttachClassicLinkVpc) || ($.eventName = DetachClassicLinkVpc)
    //   || ($.eventName = DisableVpcClassicLink) || ($.eventName = EnableVpcClassicLink) }
    RuleInfo {
        id: "CloudWatch.14",
        title: "VPC change",
        severity: "low",
        test: Test::Names {
            sources: ANY_SOURCE,
            names: &[
                "CreateVpc",
                "DeleteVpc",
                "ModifyVpcAttribute",
                "AcceptVpcPeeringConnection",
                "CreateVpcPeeringConnection",
                "DeleteVpcPeeringConnection",
                "RejectVpcPeeringConnection",
                "AttachClassicLinkVpc",
                "DetachClassicLinkVpc",
                "DisableVpcClassicLink",
                "EnableVpcClassicLink",
            ],
        },
    },
    // CIS 1.4.0/1.5.0 4.15 (no Security Hub control):
    // { ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake")
    //   || ($.eventName = "AttachPolicy") || ($.eventName = "CreateAccount") || ($.eventName = "CreateOrganizationalUnit")
    //   || ($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization")
    //   || ($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || ($.eventName = "DetachPolicy")
    //   || ($.eventName = "DisablePolicyType") || ($.eventName = "EnablePolicyType")
    //   || ($.eventName = "InviteAccountToOrganization") || ($.eventName = "LeaveOrganization")
    //   || ($.eventName = "MoveAccount") || ($.eventName = "RemoveAccountFromOrganization")
    //   || ($.eventName = "UpdatePolicy") || ($.eventName = "UpdateOrganizationalUnit")) }
    RuleInfo {
        id: "CIS.4.15",
        title: "AWS Organizations change",
        severity: "medium",
        test: Test::Names {
            sources: &["organizations.amazonaws.com"],
            names: &[
                "AcceptHandshake",
                "AttachPolicy",
                "CreateAccount",
                "CreateOrganizationalUnit",
                "CreatePolicy",
                "DeclineHandshake",
                "DeleteOrganization",
                "DeleteOrganizationalUnit",
                "DeletePolicy",
                "DetachPolicy",
                "DisablePolicyType",
                "EnablePolicyType",
                "InviteAccountToOrganization",
                "LeaveOrganization",
                "MoveAccount",
                "RemoveAccountFromOrganization",
                "UpdatePolicy",
                "UpdateOrganizationalUnit",
            ],
        },
    },
    // CTA.1: what the trail records can be narrowed without touching the
    // trail API that CloudWatch.5 watches: event and Insights selectors, and
    // CloudTrail Lake event data stores.
    RuleInfo {
        id: "CTA.1",
        title: "CloudTrail event selection or event data store change",
        severity: "high",
        test: Test::Names {
            sources: &["cloudtrail.amazonaws.com"],
            names: &[
                "PutEventSelectors",
                "PutInsightSelectors",
                "DeleteEventDataStore",
                "StopEventDataStoreIngestion",
                "UpdateEventDataStore",
            ],
        },
    },
    // CTA.2: GuardDuty turned off or blinded: detector deleted or disabled
    // (UpdateDetector with `enable: false`), member accounts detached from
    // the administrator, or a filter created/updated with `action: ARCHIVE`
    // (a suppression rule, which auto-archives matching findings).
    RuleInfo {
        id: "CTA.2",
        title: "GuardDuty disabled or suppressed",
        severity: "high",
        test: Test::Custom(guardduty_tampering),
    },
    // CTA.3: the root user creating an access key for itself: IAM's
    // CreateAccessKey without `userName` creates a key for the caller
    // (with `userName`, it is some IAM user's key, and only CloudWatch.1 fires).
    RuleInfo {
        id: "CTA.3",
        title: "Root user access key creation",
        severity: "critical",
        test: Test::Custom(root_access_key),
    },
    // CTA.4: S3 Block Public Access removed, for a bucket (s3) or the whole
    // account (s3-control, which CloudTrail may also log under s3).
    RuleInfo {
        id: "CTA.4",
        title: "S3 Block Public Access removed",
        severity: "high",
        test: Test::Names {
            sources: &["s3.amazonaws.com", "s3-control.amazonaws.com"],
            names: &["DeletePublicAccessBlock", "DeleteAccountPublicAccessBlock"],
        },
    },
    // CTA.5: a bucket or object ACL granting the AllUsers or
    // AuthenticatedUsers group, by grant or by a public canned ACL.
    RuleInfo {
        id: "CTA.5",
        title: "S3 ACL grants public access",
        severity: "high",
        test: Test::Custom(public_acl),
    },
    // CTA.6: at least `threshold` calls matching CloudWatch.2 by one principal
    // within one fixed window; one finding per (principal, window), made at
    // report time from exact, mergeable counts.
    RuleInfo {
        id: BURST_RULE,
        title: "Burst of access-denied calls",
        severity: "medium",
        test: Test::Burst,
    },
];

fn is(field: &Field, value: &str) -> bool {
    field.as_str() == Some(value)
}

fn identity_type_is(e: &Event, kind: &str) -> bool {
    e.identity().is_some_and(|id| is(&id.kind, kind))
}

fn root_usage(e: &Event) -> bool {
    // NOT EXISTS: a null invokedBy exists (it would match `IS NULL`).
    identity_type_is(e, "Root")
        && e.identity()
            .is_some_and(|id| id.invoked_by == Field::Missing)
        && !is(&e.event_type, "AwsServiceEvent")
}

fn unauthorized_call(e: &Event) -> bool {
    e.is_access_denied()
}

fn console_login_without_mfa(e: &Event) -> bool {
    is(&e.event_name, "ConsoleLogin")
        && Event::nested_str(e.additional_event_data, "MFAUsed").as_deref() != Some("Yes")
        && identity_type_is(e, "IAMUser")
        && Event::nested_str(e.response_elements, "ConsoleLogin").as_deref() == Some("Success")
}

fn console_authentication_failure(e: &Event) -> bool {
    is(&e.event_name, "ConsoleLogin") && is(&e.error_message, "Failed authentication")
}

const GUARDDUTY_DETACH: &[&str] = &[
    "DeleteDetector",
    "DisassociateFromMasterAccount",
    "DisassociateFromAdministratorAccount",
    "DeleteMembers",
    "DisassociateMembers",
    "StopMonitoringMembers",
];

fn guardduty_tampering(e: &Event) -> bool {
    if !is(&e.event_source, "guardduty.amazonaws.com") {
        return false;
    }
    let param = |key| Event::nested_str(e.request_parameters, key);
    match e.event_name.as_str() {
        Some(name) if GUARDDUTY_DETACH.contains(&name) => true,
        Some("UpdateDetector") => param("enable").as_deref() == Some("false"),
        Some("CreateFilter" | "UpdateFilter") => {
            param("action").is_some_and(|a| a.eq_ignore_ascii_case("ARCHIVE"))
        }
        _ => false,
    }
}

fn root_access_key(e: &Event) -> bool {
    is(&e.event_source, "iam.amazonaws.com")
        && is(&e.event_name, "CreateAccessKey")
        && identity_type_is(e, "Root")
        && Event::nested_str(e.request_parameters, "userName").is_none()
}

const PUBLIC_GRANTEES: [&str; 2] = [
    "acs.amazonaws.com/groups/global/AllUsers",
    "acs.amazonaws.com/groups/global/AuthenticatedUsers",
];
const PUBLIC_CANNED_ACLS: [&str; 3] = ["public-read", "public-read-write", "authenticated-read"];

fn public_acl(e: &Event) -> bool {
    if !is(&e.event_source, "s3.amazonaws.com")
        || !matches!(e.event_name.as_str(), Some("PutBucketAcl" | "PutObjectAcl"))
    {
        return false;
    }
    let Some(raw) = e.request_parameters else {
        return false;
    };
    serde_json::from_str::<Value>(raw.get()).is_ok_and(|v| grants_public(&v, None))
}

/// Looks through `requestParameters` for a public grantee URI (in an
/// `AccessControlPolicy` grant or an `x-amz-grant-*` header) or a public
/// canned ACL in `x-amz-acl` (a string or a list of strings).
fn grants_public(value: &Value, key: Option<&str>) -> bool {
    match value {
        Value::String(s) => {
            PUBLIC_GRANTEES.iter().any(|g| s.contains(g))
                || (key.is_some_and(|k| k.eq_ignore_ascii_case("x-amz-acl"))
                    && PUBLIC_CANNED_ACLS.contains(&s.trim()))
        }
        Value::Array(items) => items.iter().any(|v| grants_public(v, key)),
        Value::Object(map) => map.iter().any(|(k, v)| grants_public(v, Some(k))),
        _ => false,
    }
}

// ---------------------------------------------------------------------------
// Time

/// Seconds since the Unix epoch of an `eventTime`: `YYYY-MM-DDTHH:MM:SSZ`,
/// optionally with fractional seconds (dropped). `None` for anything else,
/// including years before 1970.
pub fn parse_event_time(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<u64> {
        b[from..to].iter().try_fold(0u64, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u64::from(c - b'0'))
        })
    };
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    let rest = &b[19..];
    let fraction_ok = match rest {
        [b'Z'] => true,
        [b'.', digits @ .., b'Z'] => !digits.is_empty() && digits.iter().all(u8::is_ascii_digit),
        _ => false,
    };
    if !fraction_ok
        || year < 1970
        || !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second)
}

fn days_in_month(year: u64, month: u64) -> u64 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a date on or after it (Howard Hinnant's algorithm).
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let year_of_era = y - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

// ---------------------------------------------------------------------------
// Findings

/// One reported finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub rule_id: String,
    pub title: String,
    /// `low`, `medium`, `high` or `critical`.
    pub severity: String,
    pub event_id: String,
    pub event_time: String,
    pub event_name: String,
    pub event_source: String,
    pub principal: String,
    pub source_ip: String,
    pub account_id: String,
    pub region: String,
}

/// A finding as a state keeps it: title and severity come from the
/// configuration at report time. The field order is the report order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
struct Hit {
    event_time: String,
    rule_id: String,
    event_id: String,
    event_name: String,
    event_source: String,
    principal: String,
    source_ip: String,
    account_id: String,
    region: String,
}

/// Access-denied calls of one principal in one window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Burst {
    count: u64,
    /// The window's first call (earliest `eventTime`, ties by the rest).
    first: Hit,
}

/// The findings of a partial analysis, mergeable.
///
/// Deduplication: a finding is a function of its rule and event, so the
/// same event seen twice (two trails, an input read twice) gives one finding
/// per rule. Findings are kept whole, so two different records claiming the
/// same `eventID` are both reported: a forged ID cannot hide another record.
///
/// Bounds: at most `max_findings` findings are kept, always the first in
/// report order, so the kept list is the same however the inputs were split;
/// the others count in `dropped` (a duplicate of an already dropped finding
/// may count again). Access-denied bursts are counted exactly for up to
/// [`MAX_BURST_KEYS`] (principal, window) pairs; their calls are not
/// deduplicated (an event read twice counts twice, as `Stats` counts it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Findings {
    #[serde(default)]
    found: BTreeSet<Hit>,
    #[serde(default)]
    dropped: u64,
    /// Keyed `"{window:020} {principal}"`, so keys sort by window and the
    /// fixed-width window number keeps every key unambiguous.
    #[serde(default)]
    bursts: BTreeMap<String, Burst>,
    #[serde(default)]
    burst_untracked: u64,
}

impl Findings {
    /// Evaluates every enabled rule on one event.
    pub fn check(&mut self, e: &Event, config: &RulesConfig) {
        let mut matched: Vec<&'static str> = Vec::new();
        let mut burst = false;
        for rule in RULES.iter().filter(|r| !config.is_disabled(r.id)) {
            let hit = match rule.test {
                Test::Names { sources, names } => {
                    (sources.is_empty()
                        || e.event_source
                            .as_str()
                            .is_some_and(|s| sources.contains(&s)))
                        && e.event_name.as_str().is_some_and(|n| names.contains(&n))
                }
                Test::Custom(test) => test(e),
                Test::Burst => {
                    burst = e.is_access_denied();
                    false
                }
            };
            if hit {
                matched.push(rule.id);
            }
        }
        if matched.is_empty() && !burst {
            return;
        }
        let base = Hit::of(e);
        if config.is_allowed(&base.principal, &base.source_ip) {
            return;
        }
        if burst {
            let window = config
                .access_denied_burst
                .window_minutes
                .saturating_mul(60)
                .max(1);
            if let Some(seconds) = e.event_time.as_str().and_then(parse_event_time) {
                let key = format!("{:020} {}", seconds / window, base.principal);
                let first = Hit {
                    rule_id: BURST_RULE.to_owned(),
                    ..base.clone()
                };
                self.add_burst(key, Burst { count: 1, first });
                self.trim_bursts(MAX_BURST_KEYS);
            }
        }
        for id in matched {
            let hit = Hit {
                rule_id: id.to_owned(),
                ..base.clone()
            };
            self.insert(hit, config.max_findings);
        }
    }

    /// Adds another partial state: the result is the state checking both
    /// inputs together would have given.
    pub fn merge(&mut self, other: Findings, config: &RulesConfig) {
        self.dropped += other.dropped;
        for hit in other.found {
            self.insert(hit, config.max_findings);
        }
        self.burst_untracked += other.burst_untracked;
        for (key, burst) in other.bursts {
            self.add_burst(key, burst);
        }
        self.trim_bursts(MAX_BURST_KEYS);
    }

    /// The final list, burst findings included, in (event_time, rule_id,
    /// event_id) order. Rules disabled and principals or addresses allowed
    /// by `config` are left out here too, so a state merged from a run with
    /// another configuration still honours this one.
    pub fn report(&self, config: &RulesConfig) -> Vec<Finding> {
        let mut hits: Vec<(&Hit, Option<u64>)> = self.found.iter().map(|h| (h, None)).collect();
        let threshold = config.access_denied_burst.threshold;
        hits.extend(
            self.bursts
                .values()
                .filter(|b| b.count >= threshold)
                .map(|b| (&b.first, Some(b.count))),
        );
        hits.retain(|(h, _)| {
            !config.is_disabled(&h.rule_id) && !config.is_allowed(&h.principal, &h.source_ip)
        });
        hits.sort();
        hits.into_iter()
            .map(|(hit, count)| hit.finding(count, config))
            .collect()
    }

    /// Findings past `max_findings`, not reported.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Access-denied calls no longer counted toward a burst because more
    /// than [`MAX_BURST_KEYS`] (principal, window) pairs were seen.
    pub fn burst_untracked(&self) -> u64 {
        self.burst_untracked
    }

    fn insert(&mut self, hit: Hit, max: usize) {
        if self.found.insert(hit) && self.found.len() > max {
            self.found.pop_last();
            self.dropped += 1;
        }
    }

    fn add_burst(&mut self, key: String, burst: Burst) {
        match self.bursts.get_mut(&key) {
            Some(b) => {
                b.count += burst.count;
                if burst.first < b.first {
                    b.first = burst.first;
                }
            }
            None => {
                self.bursts.insert(key, burst);
            }
        }
    }

    /// Past `max` pairs, keeps the `max / 2` with the most calls.
    fn trim_bursts(&mut self, max: usize) {
        if self.bursts.len() <= max {
            return;
        }
        let mut entries: Vec<(String, Burst)> =
            std::mem::take(&mut self.bursts).into_iter().collect();
        entries.sort_by(|a, b| b.1.count.cmp(&a.1.count).then_with(|| a.0.cmp(&b.0)));
        for (_, burst) in entries.drain(max / 2..) {
            self.burst_untracked += burst.count;
        }
        self.bursts = entries.into_iter().collect();
    }
}

impl Hit {
    /// The event's fields, with an empty rule id; missing fields are empty.
    fn of(e: &Event) -> Hit {
        let text = |f: &Field| f.as_str().unwrap_or_default().to_owned();
        let account = match e.recipient_account_id.as_str() {
            Some(account) => account.to_owned(),
            None => e
                .identity()
                .map(|id| text(&id.account_id))
                .unwrap_or_default(),
        };
        Hit {
            event_time: text(&e.event_time),
            rule_id: String::new(),
            event_id: text(&e.event_id),
            event_name: text(&e.event_name),
            event_source: text(&e.event_source),
            principal: e.principal().unwrap_or_default(),
            source_ip: text(&e.source_ip),
            account_id: account,
            region: text(&e.aws_region),
        }
    }

    fn finding(&self, burst_count: Option<u64>, config: &RulesConfig) -> Finding {
        let title = rule(&self.rule_id).map_or(self.rule_id.as_str(), |r| r.title);
        let title = match burst_count {
            Some(n) => format!(
                "{title}: {n} in a {}-minute window",
                config.access_denied_burst.window_minutes
            ),
            None => title.to_owned(),
        };
        Finding {
            rule_id: self.rule_id.clone(),
            title,
            severity: config.severity_of(&self.rule_id).to_owned(),
            event_id: self.event_id.clone(),
            event_time: self.event_time.clone(),
            event_name: self.event_name.clone(),
            event_source: self.event_source.clone(),
            principal: self.principal.clone(),
            source_ip: self.source_ip.clone(),
            account_id: self.account_id.clone(),
            region: self.region.clone(),
        }
    }
}

/// `findings.csv`: one row per finding, in the order given.
pub fn findings_csv(findings: &[Finding]) -> String {
    let mut out = csv::Table::new(&[
        "severity",
        "rule_id",
        "title",
        "event_time",
        "event_name",
        "event_source",
        "principal",
        "source_ip",
        "account_id",
        "region",
        "event_id",
    ]);
    for f in findings {
        out.row(&[
            &f.severity,
            &f.rule_id,
            &f.title,
            &f.event_time,
            &f.event_name,
            &f.event_source,
            &f.principal,
            &f.source_ip,
            &f.account_id,
            &f.region,
            &f.event_id,
        ]);
    }
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ALICE: &str = "arn:aws:iam::111122223333:user/alice";

    /// A successful API call by the IAM user alice.
    fn api(source: &str, name: &str) -> Value {
        json!({
            "eventVersion": "1.08",
            "eventID": "e-1",
            "eventTime": "2026-03-01T10:00:00Z",
            "eventSource": source,
            "eventName": name,
            "awsRegion": "us-east-1",
            "sourceIPAddress": "198.51.100.7",
            "eventType": "AwsApiCall",
            "recipientAccountId": "111122223333",
            "userIdentity": {
                "type": "IAMUser",
                "arn": ALICE,
                "accountId": "111122223333",
                "userName": "alice"
            }
        })
    }

    /// Sets a dotted path, creating objects on the way.
    fn set(mut record: Value, path: &str, value: Value) -> Value {
        let mut cur = &mut record;
        let mut parts = path.split('.').peekable();
        while let Some(part) = parts.next() {
            let obj = cur.as_object_mut().unwrap();
            if parts.peek().is_none() {
                obj.insert(part.into(), value);
                break;
            }
            cur = obj.entry(part).or_insert_with(|| json!({}));
        }
        record
    }

    fn unset(mut record: Value, path: &str) -> Value {
        let (parent, last) = path.rsplit_once('.').map_or(("", path), |(p, l)| (p, l));
        let pointer = if parent.is_empty() {
            String::new()
        } else {
            format!("/{}", parent.replace('.', "/"))
        };
        record
            .pointer_mut(&pointer)
            .unwrap()
            .as_object_mut()
            .unwrap()
            .remove(last);
        record
    }

    fn root(record: Value) -> Value {
        set(
            record,
            "userIdentity",
            json!({"type": "Root", "arn": "arn:aws:iam::111122223333:root", "accountId": "111122223333"}),
        )
    }

    fn check_all(records: &[Value], config: &RulesConfig) -> Findings {
        let mut findings = Findings::default();
        for r in records {
            let text = r.to_string();
            findings.check(&Event::parse(text.as_bytes()).unwrap(), config);
        }
        findings
    }

    fn fired_with(record: &Value, config: &RulesConfig) -> Vec<String> {
        let report = check_all(std::slice::from_ref(record), config).report(config);
        report.into_iter().map(|f| f.rule_id).collect()
    }

    fn fired(record: &Value) -> Vec<String> {
        fired_with(record, &RulesConfig::default())
    }

    #[track_caller]
    fn fires(record: Value, id: &str) {
        let ids = fired(&record);
        assert!(
            ids.iter().any(|i| i == id),
            "{id} should fire on {record}: {ids:?}"
        );
    }

    #[track_caller]
    fn quiet(record: Value, id: &str) {
        let ids = fired(&record);
        assert!(
            !ids.iter().any(|i| i == id),
            "{id} should not fire on {record}: {ids:?}"
        );
    }

    // --- CloudWatch.1 ------------------------------------------------------

    #[test]
    fn cw1_root_usage() {
        fires(root(api("s3.amazonaws.com", "ListBuckets")), "CloudWatch.1");
        // `eventType != "AwsServiceEvent"` holds when eventType is absent.
        fires(
            unset(root(api("s3.amazonaws.com", "ListBuckets")), "eventType"),
            "CloudWatch.1",
        );
        // invokedBy EXISTS: a service acting for root.
        quiet(
            set(
                root(api("s3.amazonaws.com", "ListBuckets")),
                "userIdentity.invokedBy",
                json!("AWS Internal"),
            ),
            "CloudWatch.1",
        );
        // A null invokedBy exists too (it is what `IS NULL` matches).
        quiet(
            set(
                root(api("s3.amazonaws.com", "ListBuckets")),
                "userIdentity.invokedBy",
                Value::Null,
            ),
            "CloudWatch.1",
        );
        quiet(
            set(
                root(api("s3.amazonaws.com", "ListBuckets")),
                "eventType",
                json!("AwsServiceEvent"),
            ),
            "CloudWatch.1",
        );
        quiet(api("s3.amazonaws.com", "ListBuckets"), "CloudWatch.1");
        quiet(
            set(
                api("s3.amazonaws.com", "ListBuckets"),
                "userIdentity.type",
                json!("root"),
            ),
            "CloudWatch.1",
        );
    }

    // --- CloudWatch.2 ------------------------------------------------------

    #[test]
    fn cw2_unauthorized_calls() {
        for code in [
            "AccessDenied",
            "AccessDeniedException",
            "Client.UnauthorizedOperation",
            "UnauthorizedOperation",
        ] {
            fires(
                set(
                    api("ec2.amazonaws.com", "RunInstances"),
                    "errorCode",
                    json!(code),
                ),
                "CloudWatch.2",
            );
        }
        for code in [
            "ThrottlingException",
            "NoSuchBucket",
            "UnauthorizedOperationX",
            "accessdenied",
            "NotAccessDenied",
        ] {
            quiet(
                set(
                    api("ec2.amazonaws.com", "RunInstances"),
                    "errorCode",
                    json!(code),
                ),
                "CloudWatch.2",
            );
        }
        quiet(api("ec2.amazonaws.com", "RunInstances"), "CloudWatch.2");
    }

    // --- CloudWatch.3 and CloudWatch.6 -------------------------------------

    fn console_login(result: &str, mfa: &str) -> Value {
        let record = api("signin.amazonaws.com", "ConsoleLogin");
        let record = set(record, "responseElements", json!({"ConsoleLogin": result}));
        set(
            record,
            "additionalEventData",
            json!({"MFAUsed": mfa, "LoginTo": "https://console"}),
        )
    }

    #[test]
    fn cw3_console_sign_in_without_mfa() {
        fires(console_login("Success", "No"), "CloudWatch.3");
        // `MFAUsed != "Yes"` holds when MFAUsed is absent.
        fires(
            unset(console_login("Success", "No"), "additionalEventData"),
            "CloudWatch.3",
        );
        quiet(console_login("Success", "Yes"), "CloudWatch.3");
        quiet(console_login("Failure", "No"), "CloudWatch.3");
        quiet(
            unset(console_login("Success", "No"), "responseElements"),
            "CloudWatch.3",
        );
        let role = set(
            console_login("Success", "No"),
            "userIdentity",
            json!({"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/admin/bob"}),
        );
        quiet(role, "CloudWatch.3");
        quiet(root(console_login("Success", "No")), "CloudWatch.3");
        quiet(
            set(
                console_login("Success", "No"),
                "eventName",
                json!("CheckMfa"),
            ),
            "CloudWatch.3",
        );
    }

    #[test]
    fn cw6_console_authentication_failures() {
        let failed = set(
            console_login("Failure", "No"),
            "errorMessage",
            json!("Failed authentication"),
        );
        fires(failed.clone(), "CloudWatch.6");
        quiet(
            set(
                failed.clone(),
                "errorMessage",
                json!("No username found in supplied account"),
            ),
            "CloudWatch.6",
        );
        quiet(unset(failed.clone(), "errorMessage"), "CloudWatch.6");
        quiet(
            set(failed, "eventName", json!("SwitchRole")),
            "CloudWatch.6",
        );
        quiet(console_login("Success", "Yes"), "CloudWatch.6");
    }

    // --- The event-name list rules -----------------------------------------

    /// Every listed name fires from every listed source (any source when the
    /// filter has no eventSource term), and from no other source; names
    /// compare exactly, as metric filters do.
    #[test]
    fn list_rules_match_every_listed_name_and_only_those() {
        for rule in rules() {
            let Test::Names { sources, names } = rule.test else {
                continue;
            };
            let sources: Vec<&str> = if sources.is_empty() {
                vec!["ec2.amazonaws.com", "x.example"]
            } else {
                sources.to_vec()
            };
            for name in names {
                for source in &sources {
                    fires(api(source, name), rule.id);
                    // Failed calls match too: the filters do not test errorCode.
                    fires(
                        set(api(source, name), "errorCode", json!("InvalidParameter")),
                        rule.id,
                    );
                }
                quiet(api(sources[0], &name.to_lowercase()), rule.id);
                quiet(api(sources[0], &format!("{name}s")), rule.id);
                if !matches!(
                    rule.test,
                    Test::Names {
                        sources: ANY_SOURCE,
                        ..
                    }
                ) {
                    quiet(api("example.amazonaws.com", name), rule.id);
                }
            }
        }
    }

    #[test]
    fn cw4_iam_policy_changes() {
        fires(api("iam.amazonaws.com", "PutRolePolicy"), "CloudWatch.4");
        fires(
            api("iam.amazonaws.com", "DetachGroupPolicy"),
            "CloudWatch.4",
        );
        quiet(api("iam.amazonaws.com", "GetRolePolicy"), "CloudWatch.4");
        quiet(api("iam.amazonaws.com", "ListPolicies"), "CloudWatch.4");
        // No eventSource term: Organizations' CreatePolicy matches both rules.
        let ids = fired(&api("organizations.amazonaws.com", "CreatePolicy"));
        assert_eq!(ids, ["CIS.4.15", "CloudWatch.4"]);
        assert_eq!(
            fired(&api("iam.amazonaws.com", "CreatePolicy")),
            ["CloudWatch.4"]
        );
    }

    #[test]
    fn cw5_cloudtrail_changes() {
        fires(
            api("cloudtrail.amazonaws.com", "StopLogging"),
            "CloudWatch.5",
        );
        fires(
            api("cloudtrail.amazonaws.com", "DeleteTrail"),
            "CloudWatch.5",
        );
        quiet(
            api("cloudtrail.amazonaws.com", "DescribeTrails"),
            "CloudWatch.5",
        );
        quiet(
            api("cloudtrail.amazonaws.com", "GetTrailStatus"),
            "CloudWatch.5",
        );
    }

    #[test]
    fn cw7_kms_key_disabled_or_deleted() {
        fires(
            api("kms.amazonaws.com", "ScheduleKeyDeletion"),
            "CloudWatch.7",
        );
        fires(api("kms.amazonaws.com", "DisableKey"), "CloudWatch.7");
        quiet(
            api("kms.amazonaws.com", "CancelKeyDeletion"),
            "CloudWatch.7",
        );
        quiet(api("kms.amazonaws.com", "EnableKey"), "CloudWatch.7");
        quiet(api("cloudhsm.amazonaws.com", "DisableKey"), "CloudWatch.7");
    }

    #[test]
    fn cw8_s3_bucket_policy_changes() {
        fires(api("s3.amazonaws.com", "PutBucketPolicy"), "CloudWatch.8");
        fires(
            api("s3.amazonaws.com", "DeleteBucketReplication"),
            "CloudWatch.8",
        );
        quiet(api("s3.amazonaws.com", "GetBucketPolicy"), "CloudWatch.8");
        quiet(api("s3.amazonaws.com", "PutObject"), "CloudWatch.8");
        quiet(
            api("s3-control.amazonaws.com", "PutBucketPolicy"),
            "CloudWatch.8",
        );
    }

    #[test]
    fn cw9_config_changes() {
        fires(
            api("config.amazonaws.com", "StopConfigurationRecorder"),
            "CloudWatch.9",
        );
        fires(
            api("config.amazonaws.com", "DeleteDeliveryChannel"),
            "CloudWatch.9",
        );
        quiet(
            api("config.amazonaws.com", "DescribeConfigurationRecorders"),
            "CloudWatch.9",
        );
        quiet(
            api("config.amazonaws.com", "StartConfigurationRecorder"),
            "CloudWatch.9",
        );
        quiet(
            api("ec2.amazonaws.com", "StopConfigurationRecorder"),
            "CloudWatch.9",
        );
    }

    #[test]
    fn cw10_security_group_changes() {
        fires(
            api("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress"),
            "CloudWatch.10",
        );
        fires(
            api("ec2.amazonaws.com", "DeleteSecurityGroup"),
            "CloudWatch.10",
        );
        quiet(
            api("ec2.amazonaws.com", "DescribeSecurityGroups"),
            "CloudWatch.10",
        );
        quiet(
            api("ec2.amazonaws.com", "ModifySecurityGroupRules"),
            "CloudWatch.10",
        );
    }

    #[test]
    fn cw11_nacl_changes() {
        fires(
            api("ec2.amazonaws.com", "CreateNetworkAclEntry"),
            "CloudWatch.11",
        );
        fires(
            api("ec2.amazonaws.com", "ReplaceNetworkAclAssociation"),
            "CloudWatch.11",
        );
        quiet(
            api("ec2.amazonaws.com", "DescribeNetworkAcls"),
            "CloudWatch.11",
        );
    }

    #[test]
    fn cw12_network_gateway_changes() {
        fires(
            api("ec2.amazonaws.com", "CreateCustomerGateway"),
            "CloudWatch.12",
        );
        fires(
            api("ec2.amazonaws.com", "DetachInternetGateway"),
            "CloudWatch.12",
        );
        quiet(
            api("ec2.amazonaws.com", "CreateNatGateway"),
            "CloudWatch.12",
        );
        quiet(
            api("ec2.amazonaws.com", "DescribeInternetGateways"),
            "CloudWatch.12",
        );
    }

    #[test]
    fn cw13_route_table_changes() {
        fires(api("ec2.amazonaws.com", "CreateRoute"), "CloudWatch.13");
        fires(
            api("ec2.amazonaws.com", "DisassociateRouteTable"),
            "CloudWatch.13",
        );
        quiet(
            api("ec2.amazonaws.com", "DescribeRouteTables"),
            "CloudWatch.13",
        );
        // The Security Hub filter requires eventSource ec2.amazonaws.com.
        quiet(
            api("networkmanager.amazonaws.com", "CreateRoute"),
            "CloudWatch.13",
        );
    }

    #[test]
    fn cw14_vpc_changes() {
        fires(api("ec2.amazonaws.com", "CreateVpc"), "CloudWatch.14");
        fires(
            api("ec2.amazonaws.com", "EnableVpcClassicLink"),
            "CloudWatch.14",
        );
        quiet(api("ec2.amazonaws.com", "DescribeVpcs"), "CloudWatch.14");
        quiet(api("ec2.amazonaws.com", "CreateSubnet"), "CloudWatch.14");
    }

    #[test]
    fn cis_4_15_organizations_changes() {
        fires(
            api("organizations.amazonaws.com", "LeaveOrganization"),
            "CIS.4.15",
        );
        fires(
            api("organizations.amazonaws.com", "AttachPolicy"),
            "CIS.4.15",
        );
        quiet(
            api("organizations.amazonaws.com", "ListAccounts"),
            "CIS.4.15",
        );
        quiet(api("iam.amazonaws.com", "AttachPolicy"), "CIS.4.15");
    }

    // --- CTA rules ---------------------------------------------------------

    #[test]
    fn cta1_cloudtrail_selectors_and_lake() {
        fires(
            api("cloudtrail.amazonaws.com", "PutEventSelectors"),
            "CTA.1",
        );
        fires(
            api("cloudtrail.amazonaws.com", "StopEventDataStoreIngestion"),
            "CTA.1",
        );
        quiet(
            api("cloudtrail.amazonaws.com", "GetEventSelectors"),
            "CTA.1",
        );
        quiet(api("cloudtrail.amazonaws.com", "StopLogging"), "CTA.1");
    }

    #[test]
    fn cta2_guardduty_tampering() {
        let gd = |name: &str| api("guardduty.amazonaws.com", name);
        fires(gd("DeleteDetector"), "CTA.2");
        fires(gd("DisassociateFromAdministratorAccount"), "CTA.2");
        fires(gd("StopMonitoringMembers"), "CTA.2");
        fires(
            set(
                gd("UpdateDetector"),
                "requestParameters",
                json!({"detectorId": "d", "enable": false}),
            ),
            "CTA.2",
        );
        fires(
            set(
                gd("CreateFilter"),
                "requestParameters",
                json!({"name": "x", "action": "ARCHIVE"}),
            ),
            "CTA.2",
        );
        quiet(
            set(
                gd("UpdateDetector"),
                "requestParameters",
                json!({"detectorId": "d", "enable": true}),
            ),
            "CTA.2",
        );
        quiet(
            set(
                gd("UpdateDetector"),
                "requestParameters",
                json!({"findingPublishingFrequency": "SIX_HOURS"}),
            ),
            "CTA.2",
        );
        quiet(
            set(
                gd("CreateFilter"),
                "requestParameters",
                json!({"name": "x", "action": "NOOP"}),
            ),
            "CTA.2",
        );
        quiet(gd("ListDetectors"), "CTA.2");
        quiet(api("securityhub.amazonaws.com", "DeleteDetector"), "CTA.2");
    }

    #[test]
    fn cta3_root_access_key() {
        let key = root(api("iam.amazonaws.com", "CreateAccessKey"));
        assert_eq!(fired(&key), ["CTA.3", "CloudWatch.1"]);
        fires(set(key.clone(), "requestParameters", Value::Null), "CTA.3");
        // Root creating a key for an IAM user: root activity, not a root key.
        let for_user = set(key, "requestParameters", json!({"userName": "bob"}));
        assert_eq!(fired(&for_user), ["CloudWatch.1"]);
        quiet(api("iam.amazonaws.com", "CreateAccessKey"), "CTA.3");
        quiet(root(api("iam.amazonaws.com", "UpdateAccessKey")), "CTA.3");
    }

    #[test]
    fn cta4_public_access_block_removed() {
        fires(api("s3.amazonaws.com", "DeletePublicAccessBlock"), "CTA.4");
        fires(
            api("s3-control.amazonaws.com", "DeletePublicAccessBlock"),
            "CTA.4",
        );
        fires(
            api("s3.amazonaws.com", "DeleteAccountPublicAccessBlock"),
            "CTA.4",
        );
        quiet(api("s3.amazonaws.com", "PutPublicAccessBlock"), "CTA.4");
        quiet(api("s3.amazonaws.com", "GetPublicAccessBlock"), "CTA.4");
    }

    #[test]
    fn cta5_public_acl() {
        let acl = |name: &str, params: Value| {
            set(api("s3.amazonaws.com", name), "requestParameters", params)
        };
        let grant = |uri: &str| {
            json!({"bucketName": "b", "AccessControlPolicy": {"AccessControlList": {"Grant": [
                {"Grantee": {"xsi:type": "CanonicalUser", "ID": "abc"}, "Permission": "FULL_CONTROL"},
                {"Grantee": {"xsi:type": "Group", "URI": uri}, "Permission": "READ"}
            ]}}})
        };
        let all_users = format!("http://{}", PUBLIC_GRANTEES[0]);
        let authenticated = format!("http://{}", PUBLIC_GRANTEES[1]);
        assert_eq!(
            fired(&acl("PutBucketAcl", grant(&all_users))),
            ["CTA.5", "CloudWatch.8"]
        );
        fires(acl("PutObjectAcl", grant(&authenticated)), "CTA.5");
        fires(
            acl(
                "PutBucketAcl",
                json!({"bucketName": "b", "x-amz-acl": ["public-read"]}),
            ),
            "CTA.5",
        );
        fires(
            acl(
                "PutObjectAcl",
                json!({"key": "k", "x-amz-acl": "authenticated-read"}),
            ),
            "CTA.5",
        );
        let header = format!("uri=\"{all_users}\"");
        fires(
            acl(
                "PutBucketAcl",
                json!({"bucketName": "b", "x-amz-grant-read": header}),
            ),
            "CTA.5",
        );

        quiet(
            acl(
                "PutBucketAcl",
                json!({"bucketName": "b", "x-amz-acl": ["private"]}),
            ),
            "CTA.5",
        );
        quiet(
            acl(
                "PutBucketAcl",
                grant("http://acs.amazonaws.com/groups/s3/LogDelivery"),
            ),
            "CTA.5",
        );
        quiet(
            acl("PutBucketAcl", json!({"bucketName": "public-read"})),
            "CTA.5",
        );
        quiet(api("s3.amazonaws.com", "PutBucketAcl"), "CTA.5");
        quiet(acl("PutBucketPolicy", grant(&all_users)), "CTA.5");
        quiet(
            set(
                acl("PutBucketAcl", grant(&all_users)),
                "eventSource",
                json!("s3-control.amazonaws.com"),
            ),
            "CTA.5",
        );
    }

    // --- CTA.6 -------------------------------------------------------------

    fn denied(principal: &str, time: &str, id: &str) -> Value {
        let record = set(
            api("ec2.amazonaws.com", "DescribeInstances"),
            "errorCode",
            json!("Client.UnauthorizedOperation"),
        );
        let record = set(record, "userIdentity.arn", json!(principal));
        let record = set(record, "eventTime", json!(time));
        set(record, "eventID", json!(id))
    }

    fn burst_config() -> RulesConfig {
        RulesConfig {
            access_denied_burst: BurstConfig {
                threshold: 3,
                window_minutes: 5,
            },
            ..RulesConfig::default()
        }
    }

    fn bursts(records: &[Value], config: &RulesConfig) -> Vec<Finding> {
        let report = check_all(records, config).report(config);
        report
            .into_iter()
            .filter(|f| f.rule_id == BURST_RULE)
            .collect()
    }

    #[test]
    fn cta6_burst_in_one_window() {
        let config = burst_config();
        let records = [
            denied(ALICE, "2026-03-01T10:04:59.999Z", "c"),
            denied(ALICE, "2026-03-01T10:00:00Z", "a"),
            denied(ALICE, "2026-03-01T10:02:30Z", "b"),
        ];
        let found = bursts(&records, &config);
        assert_eq!(found.len(), 1, "{found:?}");
        let burst = &found[0];
        // The window's first event, whatever order the events came in.
        assert_eq!(
            (burst.event_id.as_str(), burst.event_time.as_str()),
            ("a", "2026-03-01T10:00:00Z")
        );
        assert_eq!(burst.principal, ALICE);
        assert_eq!(
            burst.title,
            "Burst of access-denied calls: 3 in a 5-minute window"
        );
        assert_eq!(burst.severity, "medium");
        // Each call is still a CloudWatch.2 finding of its own.
        assert_eq!(check_all(&records, &config).report(&config).len(), 4);
    }

    #[test]
    fn cta6_needs_threshold_calls_by_one_principal_in_one_window() {
        let config = burst_config();
        let bob = "arn:aws:iam::111122223333:user/bob";
        // Fixed windows: 10:04:59 and 10:05:00 fall in different ones.
        let split = [
            denied(ALICE, "2026-03-01T10:03:00Z", "a"),
            denied(ALICE, "2026-03-01T10:04:59Z", "b"),
            denied(ALICE, "2026-03-01T10:05:00Z", "c"),
        ];
        assert!(bursts(&split, &config).is_empty());
        let two_people = [
            denied(ALICE, "2026-03-01T10:01:00Z", "a"),
            denied(ALICE, "2026-03-01T10:02:00Z", "b"),
            denied(bob, "2026-03-01T10:03:00Z", "c"),
        ];
        assert!(bursts(&two_people, &config).is_empty());
        // Successful calls and calls without a readable time do not count.
        let mixed = [
            denied(ALICE, "2026-03-01T10:01:00Z", "a"),
            denied(ALICE, "2026-03-01T10:02:00Z", "b"),
            unset(denied(ALICE, "2026-03-01T10:03:00Z", "c"), "errorCode"),
            denied(ALICE, "yesterday", "d"),
        ];
        assert!(bursts(&mixed, &config).is_empty());
        // The default threshold is 20.
        let many: Vec<Value> = (0..20)
            .map(|i| denied(ALICE, &format!("2026-03-01T10:00:{i:02}Z"), &i.to_string()))
            .collect();
        assert!(bursts(&many[..19], &RulesConfig::default()).is_empty());
        assert_eq!(bursts(&many, &RulesConfig::default()).len(), 1);
    }

    #[test]
    fn burst_state_stays_bounded() {
        let config = burst_config();
        let records: Vec<Value> = (0..6)
            .flat_map(|p| {
                (0..=p).map(move |i| {
                    denied(
                        &format!("user-{p}"),
                        "2026-03-01T10:00:00Z",
                        &format!("{p}-{i}"),
                    )
                })
            })
            .collect();
        let mut state = check_all(&records, &config);
        assert_eq!(state.bursts.len(), 6);
        state.trim_bursts(4);
        // The two busiest pairs (6 and 5 calls) stay; the other 10 calls are untracked.
        assert_eq!(state.bursts.len(), 2);
        assert_eq!(state.burst_untracked(), 1 + 2 + 3 + 4);
        let kept: Vec<u64> = state.bursts.values().map(|b| b.count).collect();
        assert_eq!(kept, [5, 6]);
    }

    // --- Configuration -----------------------------------------------------

    #[test]
    fn disabled_rules_do_not_fire() {
        let record = root(api("iam.amazonaws.com", "CreateAccessKey"));
        let config = RulesConfig {
            disabled: vec!["CTA.3".into()],
            ..RulesConfig::default()
        };
        assert_eq!(fired_with(&record, &config), ["CloudWatch.1"]);
        let config = RulesConfig {
            disabled: vec![BURST_RULE.into()],
            ..burst_config()
        };
        let records: Vec<Value> = (0..3)
            .map(|i| denied(ALICE, "2026-03-01T10:00:00Z", &i.to_string()))
            .collect();
        assert!(bursts(&records, &config).is_empty());
        assert_eq!(bursts(&records, &burst_config()).len(), 1);
    }

    #[test]
    fn allowlisted_principals_are_not_reported() {
        let ci = set(
            api("iam.amazonaws.com", "PutRolePolicy"),
            "userIdentity.arn",
            json!("arn:aws:iam::111122223333:user/ci-deploy"),
        );
        let config = RulesConfig {
            allow_principals: vec!["arn:aws:iam::111122223333:user/ci-*".into()],
            ..RulesConfig::default()
        };
        assert!(fired_with(&ci, &config).is_empty());
        assert_eq!(
            fired_with(&api("iam.amazonaws.com", "PutRolePolicy"), &config),
            ["CloudWatch.4"]
        );
        // Without a `*`, the principal must match exactly.
        let exact = RulesConfig {
            allow_principals: vec!["arn:aws:iam::111122223333:user/ci".into()],
            ..RulesConfig::default()
        };
        assert_eq!(fired_with(&ci, &exact), ["CloudWatch.4"]);
        let exact = RulesConfig {
            allow_principals: vec![ALICE.into()],
            ..RulesConfig::default()
        };
        assert!(fired_with(&api("iam.amazonaws.com", "PutRolePolicy"), &exact).is_empty());
        // Allowlisted calls do not count toward a burst either.
        let config = RulesConfig {
            allow_principals: vec![ALICE.into()],
            ..burst_config()
        };
        let records: Vec<Value> = (0..3)
            .map(|i| denied(ALICE, "2026-03-01T10:00:00Z", &i.to_string()))
            .collect();
        assert!(check_all(&records, &config).report(&config).is_empty());
    }

    #[test]
    fn allowlisted_networks_are_not_reported() {
        let from = |ip: &str| {
            set(
                api("ec2.amazonaws.com", "CreateVpc"),
                "sourceIPAddress",
                json!(ip),
            )
        };
        let config = RulesConfig {
            allow_cidrs: vec![
                "198.51.100.0/24".into(),
                "2001:db8::/32".into(),
                "192.0.2.9".into(),
            ],
            ..RulesConfig::default()
        };
        for ip in [
            "198.51.100.7",
            "198.51.100.255",
            "2001:db8::1",
            "2001:db8:ffff::5",
            "192.0.2.9",
            "::ffff:198.51.100.7",
        ] {
            assert!(fired_with(&from(ip), &config).is_empty(), "{ip}");
        }
        for ip in [
            "198.51.101.7",
            "2001:db9::1",
            "192.0.2.10",
            "ec2.amazonaws.com",
            "AWS Internal",
            "",
        ] {
            assert_eq!(fired_with(&from(ip), &config), ["CloudWatch.14"], "{ip}");
        }
        let everything = RulesConfig {
            allow_cidrs: vec!["0.0.0.0/0".into(), "::/0".into()],
            ..RulesConfig::default()
        };
        assert!(fired_with(&from("203.0.113.1"), &everything).is_empty());
        assert!(fired_with(&from("2a00::1"), &everything).is_empty());
    }

    #[test]
    fn severity_can_be_overridden() {
        let config: RulesConfig =
            serde_json::from_str(r#"{"severity":{"CloudWatch.14":"critical"}}"#).unwrap();
        config.validate().unwrap();
        let report = check_all(&[api("ec2.amazonaws.com", "CreateVpc")], &config).report(&config);
        assert_eq!(report[0].severity, "critical");
        let report = check_all(&[api("ec2.amazonaws.com", "CreateVpc")], &config)
            .report(&RulesConfig::default());
        assert_eq!(report[0].severity, "low");
    }

    #[test]
    fn configuration_is_validated() {
        let parse = |text: &str| -> Result<RulesConfig, String> {
            let config: RulesConfig = serde_json::from_str(text).map_err(|e| e.to_string())?;
            config.validate()?;
            Ok(config)
        };
        let defaults = parse("{}").unwrap();
        assert_eq!(defaults.max_findings, DEFAULT_MAX_FINDINGS);
        assert_eq!(
            (
                defaults.access_denied_burst.threshold,
                defaults.access_denied_burst.window_minutes
            ),
            (20, 5)
        );
        let partial = parse(r#"{"access_denied_burst":{"threshold":5}}"#).unwrap();
        assert_eq!(
            (
                partial.access_denied_burst.threshold,
                partial.access_denied_burst.window_minutes
            ),
            (5, 5)
        );
        parse(r#"{"disabled":["CloudWatch.2","CTA.6"],"allow_cidrs":["10.0.0.0/8","fd00::/8","10.1.2.3"]}"#).unwrap();

        let cases = [
            (r#"{"disabled":["CloudWatch.99"]}"#, "\"CloudWatch.99\""),
            (r#"{"severity":{"CTA.42":"low"}}"#, "\"CTA.42\""),
            (r#"{"severity":{"CTA.1":"urgent"}}"#, "\"urgent\""),
            (r#"{"severity":{"CTA.1":"High"}}"#, "\"High\""),
            (r#"{"allow_cidrs":["10.0.0.0/33"]}"#, "10.0.0.0/33"),
            (r#"{"allow_cidrs":["300.1.1.1/8"]}"#, "300.1.1.1/8"),
            (r#"{"allow_cidrs":["10.0.0.0/"]}"#, "10.0.0.0/"),
            (r#"{"allow_cidrs":["fd00::/129"]}"#, "fd00::/129"),
            (r#"{"allow_cidrs":["10.0.0.0/+8"]}"#, "10.0.0.0/+8"),
            (r#"{"allow_principals":["arn:*:user/x"]}"#, "arn:*:user/x"),
            (r#"{"allow_principals":[""]}"#, "allow_principals"),
            (r#"{"access_denied_burst":{"threshold":0}}"#, "threshold"),
            (
                r#"{"access_denied_burst":{"window_minutes":0}}"#,
                "window_minutes",
            ),
            (r#"{"disabeld":[]}"#, "disabeld"),
            (r#"{"access_denied_burst":{"treshold":3}}"#, "treshold"),
        ];
        for (text, expected) in cases {
            let err = parse(text).unwrap_err();
            assert!(err.contains(expected), "{text}: {err}");
        }
    }

    #[test]
    fn every_rule_is_listed_once_with_a_known_severity() {
        let ids: BTreeSet<&str> = rules().iter().map(|r| r.id).collect();
        assert_eq!(ids.len(), rules().len());
        assert_eq!(rules().len(), 21);
        assert!(rules().iter().all(|r| SEVERITIES.contains(&r.severity)));
        assert_eq!(
            rule("CloudWatch.3").unwrap().title,
            "Console sign-in without MFA"
        );
    }

    // --- State: order, dedup, cap, merge -----------------------------------

    /// Findings of every kind, bursts included, across two windows.
    fn corpus() -> Vec<Value> {
        let bob = "arn:aws:iam::111122223333:user/bob";
        let mut records = vec![
            root(api("s3.amazonaws.com", "ListBuckets")),
            set(
                api("ec2.amazonaws.com", "CreateVpc"),
                "eventTime",
                json!("2026-03-01T09:00:00Z"),
            ),
            set(
                api("kms.amazonaws.com", "DisableKey"),
                "eventID",
                json!("e-2"),
            ),
            set(console_login("Success", "No"), "eventID", json!("e-3")),
            set(
                root(api("iam.amazonaws.com", "CreateAccessKey")),
                "eventID",
                json!("e-4"),
            ),
            unset(api("cloudtrail.amazonaws.com", "StopLogging"), "eventID"),
        ];
        for i in 0..4 {
            records.push(denied(
                ALICE,
                &format!("2026-03-01T10:0{i}:00Z"),
                &format!("a{i}"),
            ));
            records.push(denied(
                bob,
                &format!("2026-03-01T10:0{}:30Z", i + 5),
                &format!("b{i}"),
            ));
        }
        records
    }

    #[test]
    fn merge_equals_checking_together() {
        for config in [
            burst_config(),
            RulesConfig {
                max_findings: 5,
                ..burst_config()
            },
        ] {
            let records = corpus();
            let together = check_all(&records, &config);
            for i in 0..=records.len() {
                let (a, b) = records.split_at(i);
                let mut merged = check_all(a, &config);
                merged.merge(check_all(b, &config), &config);
                assert_eq!(merged, together, "split at {i}");
                let mut reversed = check_all(b, &config);
                reversed.merge(check_all(a, &config), &config);
                assert_eq!(reversed, together, "reversed split at {i}");
            }
            let report = together.report(&config);
            assert!(
                report.iter().filter(|f| f.rule_id == BURST_RULE).count() == 2,
                "{report:#?}"
            );
            if config.max_findings == 5 {
                assert_eq!(together.found.len(), 5);
                assert_eq!(
                    together.dropped(),
                    check_all(&records, &burst_config()).found.len() as u64 - 5
                );
            }
        }
    }

    #[test]
    fn duplicates_give_one_finding_and_the_cap_keeps_the_earliest() {
        let config = RulesConfig::default();
        let event = api("ec2.amazonaws.com", "CreateVpc");
        let mut a = check_all(std::slice::from_ref(&event), &config);
        a.merge(check_all(std::slice::from_ref(&event), &config), &config);
        assert_eq!(a.report(&config).len(), 1);
        assert_eq!(check_all(&[event.clone(), event], &config), a);

        let config = RulesConfig {
            max_findings: 2,
            ..RulesConfig::default()
        };
        let records: Vec<Value> = (0..5)
            .rev()
            .map(|i| {
                let record = set(
                    api("ec2.amazonaws.com", "CreateVpc"),
                    "eventTime",
                    json!(format!("2026-03-01T10:00:0{i}Z")),
                );
                set(record, "eventID", json!(format!("e{i}")))
            })
            .collect();
        let state = check_all(&records, &config);
        let ids: Vec<String> = state
            .report(&config)
            .into_iter()
            .map(|f| f.event_id)
            .collect();
        assert_eq!(ids, ["e0", "e1"]);
        assert_eq!(state.dropped(), 3);
    }

    #[test]
    fn report_is_sorted_and_the_state_round_trips() {
        let config = burst_config();
        let state = check_all(&corpus(), &config);
        let report = state.report(&config);
        let keys: Vec<(&str, &str, &str)> = report
            .iter()
            .map(|f| {
                (
                    f.event_time.as_str(),
                    f.rule_id.as_str(),
                    f.event_id.as_str(),
                )
            })
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        assert_eq!(report[0].rule_id, "CloudWatch.14");
        let json = serde_json::to_string(&state).unwrap();
        let back: Findings = serde_json::from_str(&json).unwrap();
        assert_eq!(back, state);
        assert_eq!(
            serde_json::from_str::<Findings>("{}").unwrap(),
            Findings::default()
        );
    }

    #[test]
    fn findings_have_the_event_fields() {
        let record = set(
            api("ec2.amazonaws.com", "CreateVpc"),
            "eventID",
            json!("id-7"),
        );
        let f = &check_all(
            &[unset(record, "recipientAccountId")],
            &RulesConfig::default(),
        )
        .report(&RulesConfig::default())[0];
        let expected = Finding {
            rule_id: "CloudWatch.14".into(),
            title: "VPC change".into(),
            severity: "low".into(),
            event_id: "id-7".into(),
            event_time: "2026-03-01T10:00:00Z".into(),
            event_name: "CreateVpc".into(),
            event_source: "ec2.amazonaws.com".into(),
            principal: ALICE.into(),
            source_ip: "198.51.100.7".into(),
            account_id: "111122223333".into(),
            region: "us-east-1".into(),
        };
        assert_eq!(f, &expected);
    }

    #[test]
    fn csv_has_a_header_and_defused_cells() {
        let record = set(
            api("ec2.amazonaws.com", "CreateVpc"),
            "userIdentity.arn",
            json!("=HYPERLINK(\"x\")"),
        );
        let config = RulesConfig::default();
        let text = findings_csv(&check_all(&[record], &config).report(&config));
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(
            lines[0],
            "severity,rule_id,title,event_time,event_name,event_source,principal,source_ip,account_id,region,event_id"
        );
        assert!(
            lines[1].starts_with("low,CloudWatch.14,VPC change,"),
            "{}",
            lines[1]
        );
        assert!(
            lines[1].contains("\"'=HYPERLINK(\"\"x\"\")\""),
            "{}",
            lines[1]
        );
        assert_eq!(lines.len(), 3);
    }

    // --- Time --------------------------------------------------------------

    #[test]
    fn event_times_parse_without_a_date_library() {
        assert_eq!(parse_event_time("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_event_time("2000-03-01T00:00:00Z"), Some(951_868_800));
        assert_eq!(
            parse_event_time("2024-02-29T23:59:59Z"),
            Some(1_709_251_199)
        );
        assert_eq!(
            parse_event_time("2026-03-01T10:04:59.999Z"),
            Some(1_772_359_499)
        );
        assert_eq!(
            parse_event_time("2026-03-01T10:04:59.5Z"),
            parse_event_time("2026-03-01T10:04:59Z")
        );
        for bad in [
            "",
            "2026-03-01",
            "2026-03-01T10:04:59",
            "2026-03-01T10:04:59+00:00",
            "2026-03-01T10:04:59.Z",
            "2026-03-01T10:04:59.1x2Z",
            "2023-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-00-01T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-03-01T24:00:00Z",
            "2026-03-01T10:60:00Z",
            "2026-03-01T10:00:60Z",
            "1969-12-31T23:59:59Z",
            "2026-03-01 10:00:00Z",
            "+026-03-01T10:00:00Z",
            "2026-03-01T10:00:00ZZ",
        ] {
            assert_eq!(parse_event_time(bad), None, "{bad}");
        }
    }
}
