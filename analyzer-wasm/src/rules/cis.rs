//! The CIS AWS Foundations Benchmark rules.
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

use super::{ANY_SOURCE, RuleInfo, Test, identity_type_is, is};
use crate::event::{Event, Field};

/// The CIS rules, in the order `info` lists them.
pub(super) const RULES: &[RuleInfo] = &[
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
];

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

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::rules::testing::*;

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
}
