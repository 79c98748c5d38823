//! The catalog of API calls: for each, its CloudTrail identity (source,
//! name, read-only, data or management, global or regional) and the shape
//! of its `requestParameters`, `responseElements`, `additionalEventData`,
//! `resources` and errors, modelled on real records.

use crate::events::{Caller, EventCtx, Who, push_all, push_role_arn};
use crate::ids::{push_alnum, push_base32, push_base64, push_hex, push_uuid};
use crate::json::Obj;
use crate::rng::Rng;
use crate::time::{self, push_uint};
use crate::world::{Role, RoleKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Api {
    // S3, management
    S3ListBuckets,
    S3GetBucketLocation,
    S3GetBucketAcl,
    S3GetBucketPolicy,
    S3GetBucketEncryption,
    S3CreateBucket,
    S3PutBucketPolicy,
    S3PutBucketAcl,
    S3DeletePublicAccessBlock,
    S3PutBucketPublicAccessBlock,
    // S3, data events
    S3GetObject,
    S3PutObject,
    S3HeadObject,
    S3DeleteObject,
    // EC2
    Ec2DescribeInstances,
    Ec2DescribeSecurityGroups,
    Ec2DescribeVpcs,
    Ec2DescribeSubnets,
    Ec2DescribeRegions,
    Ec2DescribeVolumes,
    Ec2RunInstances,
    Ec2StartInstances,
    Ec2StopInstances,
    Ec2TerminateInstances,
    Ec2CreateTags,
    Ec2AuthorizeSecurityGroupIngress,
    Ec2CreateRoute,
    Ec2CreateNetworkAcl,
    Ec2CreateVpc,
    Ec2AttachInternetGateway,
    // IAM (global)
    IamGetUser,
    IamListUsers,
    IamListRoles,
    IamGetRole,
    IamListAttachedRolePolicies,
    IamGetAccountSummary,
    IamPutUserPolicy,
    IamCreateAccessKey,
    IamAttachRolePolicy,
    IamCreateUser,
    // STS
    StsAssumeRole,
    StsGetCallerIdentity,
    StsGetSessionToken,
    StsGetFederationToken,
    StsAssumeRoleWithSaml,
    StsAssumeRoleWithWebIdentity,
    // KMS
    KmsDecrypt,
    KmsGenerateDataKey,
    KmsEncrypt,
    KmsDescribeKey,
    KmsListAliases,
    KmsDisableKey,
    KmsScheduleKeyDeletion,
    KmsRotateKey,
    // CloudTrail
    CtLookupEvents,
    CtDescribeTrails,
    CtGetTrailStatus,
    CtStopLogging,
    CtPutEventSelectors,
    // Sign-in (global)
    ConsoleLogin,
    // Lambda
    LambdaListFunctions,
    LambdaGetFunction,
    LambdaInvoke,
    LambdaUpdateFunctionCode,
    // CloudWatch Logs
    LogsCreateLogStream,
    LogsDescribeLogGroups,
    LogsCreateLogGroup,
    LogsFilterLogEvents,
    // Config
    ConfigPutEvaluations,
    ConfigDescribeConfigRules,
    ConfigDescribeConfigurationRecorders,
    ConfigStopConfigurationRecorder,
    // GuardDuty
    GdListDetectors,
    GdGetFindings,
    GdListFindings,
    GdDeleteDetector,
    // Organizations (global)
    OrgDescribeOrganization,
    OrgListAccounts,
    OrgDescribeAccount,
    // IAM Identity Center portal (home region)
    SsoGetRoleCredentials,
    SsoListAccounts,
    SsoListAccountRoles,
    // AWS Backup, a service event
    BackupJobCompleted,
    /// A CloudTrail Insights record.
    Insight,
}

pub struct Info {
    pub source: &'static str,
    pub name: &'static str,
    pub read_only: bool,
    /// A data event (`eventCategory: Data`, `managementEvent: false`).
    pub data: bool,
    /// Logged only in the home region (IAM, sign-in, Organizations...).
    pub global: bool,
    /// `eventType: AwsServiceEvent`.
    pub service_event: bool,
}

const fn i(source: &'static str, name: &'static str, read_only: bool) -> Info {
    Info {
        source,
        name,
        read_only,
        data: false,
        global: false,
        service_event: false,
    }
}
const fn data(source: &'static str, name: &'static str, read_only: bool) -> Info {
    Info {
        data: true,
        ..i(source, name, read_only)
    }
}
const fn global(source: &'static str, name: &'static str, read_only: bool) -> Info {
    Info {
        global: true,
        ..i(source, name, read_only)
    }
}
const fn service(source: &'static str, name: &'static str) -> Info {
    Info {
        service_event: true,
        ..i(source, name, false)
    }
}

const S3: &str = "s3.amazonaws.com";
const EC2: &str = "ec2.amazonaws.com";
const IAM: &str = "iam.amazonaws.com";
const STS: &str = "sts.amazonaws.com";
const KMS: &str = "kms.amazonaws.com";
const CT: &str = "cloudtrail.amazonaws.com";
const LAMBDA: &str = "lambda.amazonaws.com";
const LOGS: &str = "logs.amazonaws.com";
const CONFIG: &str = "config.amazonaws.com";
const GD: &str = "guardduty.amazonaws.com";
const ORG: &str = "organizations.amazonaws.com";
const SSO: &str = "sso.amazonaws.com";

impl Api {
    pub fn info(self) -> Info {
        use Api::*;
        match self {
            S3ListBuckets => i(S3, "ListBuckets", true),
            S3GetBucketLocation => i(S3, "GetBucketLocation", true),
            S3GetBucketAcl => i(S3, "GetBucketAcl", true),
            S3GetBucketPolicy => i(S3, "GetBucketPolicy", true),
            S3GetBucketEncryption => i(S3, "GetBucketEncryption", true),
            S3CreateBucket => i(S3, "CreateBucket", false),
            S3PutBucketPolicy => i(S3, "PutBucketPolicy", false),
            S3PutBucketAcl => i(S3, "PutBucketAcl", false),
            S3DeletePublicAccessBlock => i(S3, "DeletePublicAccessBlock", false),
            S3PutBucketPublicAccessBlock => i(S3, "PutBucketPublicAccessBlock", false),
            S3GetObject => data(S3, "GetObject", true),
            S3PutObject => data(S3, "PutObject", false),
            S3HeadObject => data(S3, "HeadObject", true),
            S3DeleteObject => data(S3, "DeleteObject", false),
            Ec2DescribeInstances => i(EC2, "DescribeInstances", true),
            Ec2DescribeSecurityGroups => i(EC2, "DescribeSecurityGroups", true),
            Ec2DescribeVpcs => i(EC2, "DescribeVpcs", true),
            Ec2DescribeSubnets => i(EC2, "DescribeSubnets", true),
            Ec2DescribeRegions => i(EC2, "DescribeRegions", true),
            Ec2DescribeVolumes => i(EC2, "DescribeVolumes", true),
            Ec2RunInstances => i(EC2, "RunInstances", false),
            Ec2StartInstances => i(EC2, "StartInstances", false),
            Ec2StopInstances => i(EC2, "StopInstances", false),
            Ec2TerminateInstances => i(EC2, "TerminateInstances", false),
            Ec2CreateTags => i(EC2, "CreateTags", false),
            Ec2AuthorizeSecurityGroupIngress => i(EC2, "AuthorizeSecurityGroupIngress", false),
            Ec2CreateRoute => i(EC2, "CreateRoute", false),
            Ec2CreateNetworkAcl => i(EC2, "CreateNetworkAcl", false),
            Ec2CreateVpc => i(EC2, "CreateVpc", false),
            Ec2AttachInternetGateway => i(EC2, "AttachInternetGateway", false),
            IamGetUser => global(IAM, "GetUser", true),
            IamListUsers => global(IAM, "ListUsers", true),
            IamListRoles => global(IAM, "ListRoles", true),
            IamGetRole => global(IAM, "GetRole", true),
            IamListAttachedRolePolicies => global(IAM, "ListAttachedRolePolicies", true),
            IamGetAccountSummary => global(IAM, "GetAccountSummary", true),
            IamPutUserPolicy => global(IAM, "PutUserPolicy", false),
            IamCreateAccessKey => global(IAM, "CreateAccessKey", false),
            IamAttachRolePolicy => global(IAM, "AttachRolePolicy", false),
            IamCreateUser => global(IAM, "CreateUser", false),
            StsAssumeRole => i(STS, "AssumeRole", true),
            StsGetCallerIdentity => i(STS, "GetCallerIdentity", true),
            StsGetSessionToken => i(STS, "GetSessionToken", true),
            StsGetFederationToken => i(STS, "GetFederationToken", true),
            StsAssumeRoleWithSaml => i(STS, "AssumeRoleWithSAML", true),
            StsAssumeRoleWithWebIdentity => i(STS, "AssumeRoleWithWebIdentity", true),
            KmsDecrypt => i(KMS, "Decrypt", true),
            KmsGenerateDataKey => i(KMS, "GenerateDataKey", true),
            KmsEncrypt => i(KMS, "Encrypt", true),
            KmsDescribeKey => i(KMS, "DescribeKey", true),
            KmsListAliases => i(KMS, "ListAliases", true),
            KmsDisableKey => i(KMS, "DisableKey", false),
            KmsScheduleKeyDeletion => i(KMS, "ScheduleKeyDeletion", false),
            KmsRotateKey => service(KMS, "RotateKey"),
            CtLookupEvents => i(CT, "LookupEvents", true),
            CtDescribeTrails => i(CT, "DescribeTrails", true),
            CtGetTrailStatus => i(CT, "GetTrailStatus", true),
            CtStopLogging => i(CT, "StopLogging", false),
            CtPutEventSelectors => i(CT, "PutEventSelectors", false),
            ConsoleLogin => global("signin.amazonaws.com", "ConsoleLogin", false),
            // Lambda's CloudTrail names carry API versions.
            LambdaListFunctions => i(LAMBDA, "ListFunctions20150331", true),
            LambdaGetFunction => i(LAMBDA, "GetFunction20150331v2", true),
            LambdaInvoke => data(LAMBDA, "Invoke", false),
            LambdaUpdateFunctionCode => i(LAMBDA, "UpdateFunctionCode20150331v2", false),
            LogsCreateLogStream => i(LOGS, "CreateLogStream", false),
            LogsDescribeLogGroups => i(LOGS, "DescribeLogGroups", true),
            LogsCreateLogGroup => i(LOGS, "CreateLogGroup", false),
            LogsFilterLogEvents => i(LOGS, "FilterLogEvents", true),
            ConfigPutEvaluations => i(CONFIG, "PutEvaluations", false),
            ConfigDescribeConfigRules => i(CONFIG, "DescribeConfigRules", true),
            ConfigDescribeConfigurationRecorders => {
                i(CONFIG, "DescribeConfigurationRecorders", true)
            }
            ConfigStopConfigurationRecorder => i(CONFIG, "StopConfigurationRecorder", false),
            GdListDetectors => i(GD, "ListDetectors", true),
            GdGetFindings => i(GD, "GetFindings", true),
            GdListFindings => i(GD, "ListFindings", true),
            GdDeleteDetector => i(GD, "DeleteDetector", false),
            OrgDescribeOrganization => global(ORG, "DescribeOrganization", true),
            OrgListAccounts => global(ORG, "ListAccounts", true),
            OrgDescribeAccount => global(ORG, "DescribeAccount", true),
            SsoGetRoleCredentials => global(SSO, "GetRoleCredentials", true),
            SsoListAccounts => global(SSO, "ListAccounts", true),
            SsoListAccountRoles => global(SSO, "ListAccountRoles", true),
            BackupJobCompleted => service("backup.amazonaws.com", "BackupJobCompleted"),
            Insight => i(CT, "", true),
        }
    }

    /// The IAM action, for "not authorized to perform" messages.
    fn push_action(self, s: &mut String) {
        let info = self.info();
        s.push_str(info.source.split('.').next().unwrap_or(""));
        s.push(':');
        // Drop Lambda's version suffix: ListFunctions20150331 -> ListFunctions.
        let end = info
            .name
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(info.name.len());
        s.push_str(&info.name[..end]);
    }
}

use Api::*;

/// People and workloads: most traffic. Weights are relative (about 1/10000).
const GENERAL: &[(u32, Api)] = &[
    (1100, S3GetObject),
    (500, S3PutObject),
    (300, S3HeadObject),
    (80, S3DeleteObject),
    (120, S3ListBuckets),
    (150, S3GetBucketLocation),
    (100, S3GetBucketAcl),
    (100, S3GetBucketPolicy),
    (80, S3GetBucketEncryption),
    (15, S3CreateBucket),
    (2, S3PutBucketPolicy),
    (2, S3PutBucketAcl),
    (2, S3DeletePublicAccessBlock),
    (6, S3PutBucketPublicAccessBlock),
    (400, Ec2DescribeInstances),
    (150, Ec2DescribeSecurityGroups),
    (100, Ec2DescribeVpcs),
    (100, Ec2DescribeSubnets),
    (100, Ec2DescribeRegions),
    (100, Ec2DescribeVolumes),
    (25, Ec2RunInstances),
    (15, Ec2StartInstances),
    (15, Ec2StopInstances),
    (10, Ec2TerminateInstances),
    (50, Ec2CreateTags),
    (2, Ec2AuthorizeSecurityGroupIngress),
    (2, Ec2CreateRoute),
    (2, Ec2CreateNetworkAcl),
    (2, Ec2CreateVpc),
    (2, Ec2AttachInternetGateway),
    (80, IamGetUser),
    (60, IamListUsers),
    (80, IamListRoles),
    (100, IamGetRole),
    (50, IamListAttachedRolePolicies),
    (30, IamGetAccountSummary),
    (2, IamPutUserPolicy),
    (2, IamCreateAccessKey),
    (2, IamAttachRolePolicy),
    (5, IamCreateUser),
    (700, StsAssumeRole),
    (400, StsGetCallerIdentity),
    (30, StsGetSessionToken),
    (8, StsGetFederationToken),
    (800, KmsDecrypt),
    (400, KmsGenerateDataKey),
    (100, KmsEncrypt),
    (100, KmsDescribeKey),
    (50, KmsListAliases),
    (2, KmsDisableKey),
    (1, KmsScheduleKeyDeletion),
    (100, CtLookupEvents),
    (50, CtDescribeTrails),
    (50, CtGetTrailStatus),
    (1, CtStopLogging),
    (2, CtPutEventSelectors),
    (60, ConsoleLogin),
    (80, LambdaListFunctions),
    (60, LambdaGetFunction),
    (400, LambdaInvoke),
    (20, LambdaUpdateFunctionCode),
    (400, LogsCreateLogStream),
    (100, LogsDescribeLogGroups),
    (30, LogsCreateLogGroup),
    (80, LogsFilterLogEvents),
    (250, ConfigPutEvaluations),
    (50, ConfigDescribeConfigRules),
    (40, ConfigDescribeConfigurationRecorders),
    (1, ConfigStopConfigurationRecorder),
    (80, GdListDetectors),
    (50, GdGetFindings),
    (60, GdListFindings),
    (1, GdDeleteDetector),
    (60, OrgDescribeOrganization),
    (40, OrgListAccounts),
    (30, OrgDescribeAccount),
];
const ROOT: &[(u32, Api)] = &[
    (300, ConsoleLogin),
    (150, IamGetAccountSummary),
    (150, S3ListBuckets),
    (100, Ec2DescribeInstances),
    (60, Ec2DescribeRegions),
    (100, IamListUsers),
    (30, IamCreateAccessKey),
    (50, OrgDescribeOrganization),
    (50, CtDescribeTrails),
    (30, KmsListAliases),
];
const AWS_SERVICE: &[(u32, Api)] = &[
    (350, StsAssumeRole),
    (200, KmsDecrypt),
    (150, KmsGenerateDataKey),
    (150, S3GetBucketAcl),
    (100, S3PutObject),
    (50, S3GetBucketLocation),
];
const AWS_ACCOUNT: &[(u32, Api)] = &[
    (400, S3GetObject),
    (200, S3PutObject),
    (100, S3HeadObject),
    (200, KmsDecrypt),
    (100, KmsGenerateDataKey),
];
const SAML: &[(u32, Api)] = &[(1, StsAssumeRoleWithSaml)];
const WEB_IDENTITY: &[(u32, Api)] = &[(1, StsAssumeRoleWithWebIdentity)];
const IDENTITY_CENTER: &[(u32, Api)] = &[
    (400, SsoGetRoleCredentials),
    (300, SsoListAccounts),
    (300, SsoListAccountRoles),
];
const SERVICE_EVENTS: &[(u32, Api)] = &[(500, KmsRotateKey), (500, BackupJobCompleted)];
const INSIGHTS: &[(u32, Api)] = &[(1, Insight)];

pub fn table_for(caller: Caller) -> &'static [(u32, Api)] {
    match caller {
        Caller::IamUser | Caller::AssumedRole | Caller::FederatedUser => GENERAL,
        Caller::Root => ROOT,
        Caller::AwsService => AWS_SERVICE,
        Caller::AwsAccount => AWS_ACCOUNT,
        Caller::SamlUser => SAML,
        Caller::WebIdentityUser => WEB_IDENTITY,
        Caller::IdentityCenterUser => IDENTITY_CENTER,
        Caller::ServiceEvent => SERVICE_EVENTS,
        Caller::Nobody => INSIGHTS,
    }
}

/// Whether this caller can plausibly make this call: only IAM users get
/// session or federation tokens; federated sessions cannot call IAM or STS.
pub fn fits(caller: Caller, api: Api) -> bool {
    match api {
        StsGetSessionToken | StsGetFederationToken => caller == Caller::IamUser,
        _ if caller == Caller::FederatedUser => {
            let source = api.info().source;
            (source != IAM && source != STS && api != ConsoleLogin) || api == StsGetCallerIdentity
        }
        _ => true,
    }
}

/// What a record's `resources` list names; written after the ids, so the
/// body hands it over instead of writing it.
pub enum Res<'a> {
    None,
    Bucket(&'a str),
    /// A bucket and a seed for the object key.
    Object(&'a str, u64),
    Kms(&'a str),
    Role {
        account: &'a str,
        role: &'a Role,
        typed: bool,
    },
    Lambda(&'a str),
    Trail,
}

impl Res<'_> {
    pub fn bucket(&self) -> Option<&str> {
        match self {
            Res::Bucket(b) | Res::Object(b, _) => Some(b),
            _ => None,
        }
    }
}

enum Msg {
    Text(&'static str),
    /// "User: <arn> is not authorized to perform: <action> ..."
    Denied,
    /// EC2's variant, with an encoded authorization message.
    Ec2Denied,
}

fn error_table(api: Api) -> &'static [(u32, &'static str, Msg)] {
    use Msg::*;
    match api {
        S3GetObject | S3HeadObject => &[
            (50, "AccessDenied", Text("Access Denied")),
            (
                15,
                "NoSuchBucket",
                Text("The specified bucket does not exist"),
            ),
            (35, "NoSuchKey", Text("The specified key does not exist.")),
        ],
        S3GetBucketPolicy => &[
            (
                70,
                "NoSuchBucketPolicy",
                Text("The bucket policy does not exist"),
            ),
            (30, "AccessDenied", Text("Access Denied")),
        ],
        S3GetBucketEncryption => &[
            (
                70,
                "ServerSideEncryptionConfigurationNotFoundError",
                Text("The server side encryption configuration was not found"),
            ),
            (30, "AccessDenied", Text("Access Denied")),
        ],
        _ => match api.info().source {
            S3 => &[
                (70, "AccessDenied", Text("Access Denied")),
                (
                    25,
                    "NoSuchBucket",
                    Text("The specified bucket does not exist"),
                ),
                (5, "SlowDown", Text("Please reduce your request rate.")),
            ],
            EC2 => &[
                (60, "Client.UnauthorizedOperation", Ec2Denied),
                (
                    20,
                    "Client.RequestLimitExceeded",
                    Text("Request limit exceeded."),
                ),
                (
                    20,
                    "Client.DryRunOperation",
                    Text("Request would have succeeded, but DryRun flag is set."),
                ),
            ],
            IAM => &[
                (60, "AccessDenied", Denied),
                (
                    25,
                    "NoSuchEntityException",
                    Text("The role with name legacy-admin cannot be found."),
                ),
                (15, "ThrottlingException", Text("Rate exceeded")),
            ],
            STS => &[
                (80, "AccessDenied", Denied),
                (
                    20,
                    "ExpiredTokenException",
                    Text("The security token included in the request is expired"),
                ),
            ],
            KMS => &[
                (50, "AccessDenied", Denied),
                (
                    35,
                    "ThrottlingException",
                    Text(
                        "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.",
                    ),
                ),
                (15, "InvalidCiphertextException", Text("")),
            ],
            CT => &[
                (50, "ThrottlingException", Text("Rate exceeded")),
                (50, "AccessDenied", Denied),
            ],
            LAMBDA => &[
                (40, "AccessDenied", Denied),
                (30, "ResourceNotFoundException", Text("Function not found")),
                (30, "TooManyRequestsException", Text("Rate Exceeded.")),
            ],
            LOGS => &[
                (
                    50,
                    "ResourceAlreadyExistsException",
                    Text("The specified log stream already exists"),
                ),
                (20, "ThrottlingException", Text("Rate exceeded")),
                (30, "AccessDenied", Denied),
            ],
            CONFIG => &[
                (40, "AccessDenied", Denied),
                (
                    30,
                    "NoSuchConfigurationRecorderException",
                    Text("Cannot find configuration recorder with the specified name 'default'."),
                ),
                (30, "ThrottlingException", Text("Rate exceeded")),
            ],
            GD => &[
                (60, "AccessDeniedException", Denied),
                (
                    40,
                    "BadRequestException",
                    Text(
                        "The request is rejected because the input detectorId is not owned by the current account.",
                    ),
                ),
            ],
            ORG => &[
                (
                    50,
                    "AccessDeniedException",
                    Text("You don't have permissions to access this resource."),
                ),
                (
                    30,
                    "AWSOrganizationsNotInUseException",
                    Text("Your account is not a member of an organization."),
                ),
                (
                    20,
                    "TooManyRequestsException",
                    Text(
                        "AWS Organizations can't complete your request because another request is already in progress. Try again later.",
                    ),
                ),
            ],
            SSO => &[
                (
                    60,
                    "UnauthorizedException",
                    Text("Session token not found or invalid"),
                ),
                (40, "TooManyRequestsException", Text("Rate exceeded")),
            ],
            _ => &[(100, "ThrottlingException", Text("Rate exceeded"))],
        },
    }
}

/// Writes `errorCode` and `errorMessage` of a failed call. A failed console
/// sign-in has only a message, as in CloudTrail.
pub fn write_error(o: &mut Obj, rng: &mut Rng, ctx: &EventCtx, who: &Who, api: Api) {
    if api == ConsoleLogin {
        o.str("errorMessage", "Failed authentication");
        return;
    }
    let table = error_table(api);
    let total: u64 = table.iter().map(|e| u64::from(e.0)).sum();
    let mut x = rng.below(total);
    let (_, code, msg) = table
        .iter()
        .find(|e| {
            let hit = x < u64::from(e.0);
            x = x.saturating_sub(u64::from(e.0));
            hit
        })
        .unwrap_or(&table[0]);
    o.str("errorCode", code);
    match msg {
        Msg::Text(t) => {
            o.str("errorMessage", t);
        }
        Msg::Denied => {
            o.str_with("errorMessage", |s| {
                if who.has_arn() {
                    s.push_str("User: ");
                    who.push_arn(s);
                    s.push_str(" is not authorized to perform: ");
                    api.push_action(s);
                    push_all(
                        s,
                        &[
                            " on resource: arn:aws:",
                            api.info().source.split('.').next().unwrap_or(""),
                        ],
                    );
                    push_all(s, &[":", ctx.region, ":", &ctx.account.id, ":*"]);
                    s.push_str(" because no identity-based policy allows the ");
                    api.push_action(s);
                    s.push_str(" action");
                } else {
                    s.push_str("Not authorized to perform ");
                    api.push_action(s);
                }
            });
        }
        Msg::Ec2Denied => {
            o.str_with("errorMessage", |s| {
                s.push_str("You are not authorized to perform this operation. User: ");
                if !who.push_arn(s) {
                    s.push_str("anonymous");
                }
                s.push_str(" is not authorized to perform: ");
                api.push_action(s);
                s.push_str(" because no identity-based policy allows the ");
                api.push_action(s);
                s.push_str(" action. Encoded authorization failure message: ");
                push_alnum(s, rng, 96);
            });
        }
    }
}

// ---------------------------------------------------------------------------
// Bodies

/// Writes `requestParameters`, `responseElements` and, where CloudTrail has
/// it, `additionalEventData`; returns the resources to list.
pub fn write_body<'a>(
    o: &mut Obj,
    rng: &mut Rng,
    ctx: &EventCtx<'a>,
    who: &Who<'a>,
    api: Api,
    failed: bool,
) -> Res<'a> {
    let acct = ctx.account;
    let a: &str = &acct.id;
    let region = ctx.region;
    let t = ctx.time;
    match api {
        // ---------------------------------------------------------------- S3
        S3ListBuckets => {
            o.obj("requestParameters")
                .str_with("Host", |s| push_all(s, &["s3.", region, ".amazonaws.com"]));
            o.null("responseElements");
            let bytes = if failed { 0 } else { rng.range(800, 6000) };
            s3_additional(o, rng, 0, bytes);
            Res::None
        }
        S3GetBucketLocation
        | S3GetBucketAcl
        | S3GetBucketPolicy
        | S3GetBucketEncryption
        | S3DeletePublicAccessBlock => {
            let bucket = if who.caller == Caller::AwsService {
                // Trail and Config delivery checks hit the log bucket.
                &ctx.world.trail_bucket
            } else {
                rng.pick(&acct.buckets)
            };
            let sub = match api {
                S3GetBucketLocation => "location",
                S3GetBucketAcl => "acl",
                S3GetBucketPolicy => "policy",
                S3GetBucketEncryption => "encryption",
                _ => "publicAccessBlock",
            };
            {
                let mut p = o.obj("requestParameters");
                p.str(sub, "");
                s3_bucket_params(&mut p, bucket, region);
            }
            o.null("responseElements");
            let bytes = if failed { 243 } else { rng.range(100, 1500) };
            s3_additional(o, rng, 0, bytes);
            Res::Bucket(bucket)
        }
        S3CreateBucket => {
            let bucket = rng.pick(&acct.buckets);
            {
                let mut p = o.obj("requestParameters");
                if region != "us-east-1" {
                    let mut c = p.obj("CreateBucketConfiguration");
                    c.str("LocationConstraint", region);
                    c.str("xmlns", "http://s3.amazonaws.com/doc/2006-03-01/");
                }
                s3_bucket_params(&mut p, bucket, region);
            }
            o.null("responseElements");
            s3_additional(o, rng, 0, 0);
            Res::Bucket(bucket)
        }
        S3PutBucketPolicy => {
            let bucket = rng.pick(&acct.buckets);
            {
                let mut p = o.obj("requestParameters");
                {
                    let mut pol = p.obj("bucketPolicy");
                    pol.str("Version", "2012-10-17");
                    let mut st = pol.arr("Statement");
                    let mut s0 = st.obj();
                    s0.str("Sid", "PublicReadGetObject")
                        .str("Effect", "Allow")
                        .str("Principal", "*");
                    s0.str("Action", "s3:GetObject");
                    s0.str_with("Resource", |s| {
                        push_all(s, &["arn:aws:s3:::", bucket, "/*"])
                    });
                }
                s3_bucket_params(&mut p, bucket, region);
                p.str("policy", "");
            }
            o.null("responseElements");
            let bytes = rng.range(150, 400);
            s3_additional(o, rng, bytes, 0);
            Res::Bucket(bucket)
        }
        S3PutBucketAcl => {
            let bucket = rng.pick(&acct.buckets);
            {
                let mut p = o.obj("requestParameters");
                s3_bucket_params(&mut p, bucket, region);
                p.str("acl", "");
                let mut acp = p.obj("AccessControlPolicy");
                {
                    let mut acl = acp.obj("AccessControlList");
                    let mut grants = acl.arr("Grant");
                    let mut g = grants.obj();
                    {
                        let mut ge = g.obj("Grantee");
                        ge.str("xsi:type", "Group");
                        ge.str("URI", "http://acs.amazonaws.com/groups/global/AllUsers");
                        ge.str("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance");
                    }
                    g.str("Permission", "READ");
                }
                acp.str("xmlns", "http://s3.amazonaws.com/doc/2006-03-01/");
                acp.obj("Owner").str_with("ID", |s| push_hex(s, rng, 64));
            }
            o.null("responseElements");
            let bytes = rng.range(300, 600);
            s3_additional(o, rng, bytes, 0);
            Res::Bucket(bucket)
        }
        S3PutBucketPublicAccessBlock => {
            let bucket = rng.pick(&acct.buckets);
            {
                let mut p = o.obj("requestParameters");
                p.str("publicAccessBlock", "");
                s3_bucket_params(&mut p, bucket, region);
                let mut c = p.obj("PublicAccessBlockConfiguration");
                c.str("xmlns", "http://s3.amazonaws.com/doc/2006-03-01/");
                c.bool("RestrictPublicBuckets", true)
                    .bool("BlockPublicPolicy", true);
                c.bool("BlockPublicAcls", true)
                    .bool("IgnorePublicAcls", true);
            }
            o.null("responseElements");
            s3_additional(o, rng, 250, 0);
            Res::Bucket(bucket)
        }
        S3GetObject | S3PutObject | S3HeadObject | S3DeleteObject => {
            let bucket = if who.caller == Caller::AwsService {
                &ctx.world.trail_bucket
            } else {
                rng.pick(&acct.buckets)
            };
            let key = rng.next_u64();
            {
                let mut p = o.obj("requestParameters");
                s3_bucket_params(&mut p, bucket, region);
                p.str_with("key", |s| push_object_key(s, key, t));
                if api == S3PutObject && rng.per_mille(300) {
                    p.str("x-amz-server-side-encryption", "aws:kms");
                }
            }
            if api == S3PutObject && !failed {
                let mut r = o.obj("responseElements");
                r.str("x-amz-server-side-encryption", "AES256");
                r.str_with("x-amz-version-id", |s| push_alnum(s, rng, 32));
            } else {
                o.null("responseElements");
            }
            let size = if failed { 0 } else { rng.range(200, 4_000_000) };
            match api {
                S3PutObject => s3_additional(o, rng, size, 0),
                S3GetObject => s3_additional(o, rng, 0, size),
                _ => s3_additional(o, rng, 0, 0),
            }
            Res::Object(bucket, key)
        }

        // --------------------------------------------------------------- EC2
        Ec2DescribeInstances => {
            {
                let mut p = o.obj("requestParameters");
                {
                    let mut set = p.obj("instancesSet");
                    if rng.per_mille(400) {
                        let mut items = set.arr("items");
                        items.obj().str("instanceId", rng.pick_str(&acct.instances));
                    }
                }
                p.obj("filterSet");
            }
            o.null("responseElements");
            Res::None
        }
        Ec2DescribeSecurityGroups => {
            {
                let mut p = o.obj("requestParameters");
                p.obj("securityGroupSet");
                p.obj("securityGroupIdSet");
                p.obj("filterSet");
            }
            o.null("responseElements");
            Res::None
        }
        Ec2DescribeVpcs => {
            {
                let mut p = o.obj("requestParameters");
                p.obj("vpcSet");
                p.obj("filterSet");
            }
            o.null("responseElements");
            Res::None
        }
        Ec2DescribeSubnets => {
            {
                let mut p = o.obj("requestParameters");
                p.obj("subnetSet");
                let mut f = p.obj("filterSet");
                let mut items = f.arr("items");
                let mut item = items.obj();
                item.str("name", "vpc-id");
                let mut vs = item.obj("valueSet");
                vs.arr("items").obj().str("value", rng.pick_str(&acct.vpcs));
            }
            o.null("responseElements");
            Res::None
        }
        Ec2DescribeRegions => {
            {
                let mut p = o.obj("requestParameters");
                p.obj("regionSet");
                p.bool("allRegions", rng.per_mille(300));
            }
            o.null("responseElements");
            Res::None
        }
        Ec2DescribeVolumes => {
            {
                let mut p = o.obj("requestParameters");
                p.obj("volumeSet");
                p.obj("filterSet");
                p.num("maxResults", 500);
            }
            o.null("responseElements");
            Res::None
        }
        Ec2RunInstances => {
            let subnet = rng.pick(&acct.subnets);
            let itype = *rng.pick(&["t3.micro", "t3.large", "m6i.xlarge", "c7g.2xlarge"]);
            let ami = rng.next_u64();
            {
                let mut p = o.obj("requestParameters");
                {
                    let mut set = p.obj("instancesSet");
                    let mut items = set.arr("items");
                    let mut it = items.obj();
                    it.str_with("imageId", |s| push_ami(s, ami));
                    it.num("minCount", 1).num("maxCount", 1);
                }
                p.str("instanceType", itype);
                p.obj("blockDeviceMapping");
                p.obj("monitoring").bool("enabled", false);
                p.bool("disableApiTermination", false)
                    .bool("disableApiStop", false);
                p.str_with("clientToken", |s| push_uuid(s, rng, 4));
                p.str("subnetId", subnet);
            }
            if failed {
                o.null("responseElements");
            } else {
                let mut r = o.obj("responseElements");
                r.str_with("requestId", |s| push_uuid(s, rng, 4));
                r.str_with("reservationId", |s| {
                    s.push_str("r-0");
                    push_hex(s, rng, 16)
                });
                r.str("ownerId", a);
                r.obj("groupSet");
                let mut set = r.obj("instancesSet");
                let mut items = set.arr("items");
                let mut it = items.obj();
                it.str_with("instanceId", |s| {
                    s.push_str("i-0");
                    push_hex(s, rng, 16)
                });
                it.str_with("imageId", |s| push_ami(s, ami));
                state(&mut it, "instanceState", 0, "pending");
                it.str("instanceType", itype);
                it.num("launchTime", (t as u64) * 1000);
                {
                    let mut pl = it.obj("placement");
                    pl.str_with("availabilityZone", |s| push_all(s, &[region, "a"]));
                    pl.str("tenancy", "default");
                }
                it.str("subnetId", subnet);
                it.str("vpcId", &acct.vpcs[0]);
                it.str_with("privateIpAddress", |s| {
                    s.push_str("10.0.");
                    push_uint(s, rng.below(64));
                    s.push('.');
                    push_uint(s, rng.range(4, 250));
                });
            }
            Res::None
        }
        Ec2StartInstances | Ec2StopInstances | Ec2TerminateInstances => {
            let inst = rng.pick(&acct.instances);
            o.obj("requestParameters")
                .obj("instancesSet")
                .arr("items")
                .obj()
                .str("instanceId", inst);
            if failed {
                o.null("responseElements");
            } else {
                let ((c0, n0), (c1, n1)) = match api {
                    Ec2StartInstances => ((0, "pending"), (80, "stopped")),
                    Ec2StopInstances => ((64, "stopping"), (16, "running")),
                    _ => ((32, "shutting-down"), (16, "running")),
                };
                let mut r = o.obj("responseElements");
                r.str_with("requestId", |s| push_uuid(s, rng, 4));
                let mut set = r.obj("instancesSet");
                let mut items = set.arr("items");
                let mut it = items.obj();
                it.str("instanceId", inst);
                state(&mut it, "currentState", c0, n0);
                state(&mut it, "previousState", c1, n1);
            }
            Res::None
        }
        Ec2CreateTags => {
            {
                let mut p = o.obj("requestParameters");
                p.obj("resourcesSet")
                    .arr("items")
                    .obj()
                    .str("resourceId", rng.pick_str(&acct.instances));
                let mut tags = p.obj("tagSet");
                let mut items = tags.arr("items");
                let mut tag = items.obj();
                tag.str(
                    "key",
                    rng.pick_str(&["Owner", "CostCenter", "Environment", "Name"]),
                );
                tag.str(
                    "value",
                    rng.pick_str(&["alice", "platform", "production", "web-1"]),
                );
            }
            ec2_return(o, rng, failed);
            Res::None
        }
        Ec2AuthorizeSecurityGroupIngress => {
            let sg = rng.pick(&acct.security_groups);
            let port = *rng.pick(&[22u64, 3389, 443, 5432]);
            {
                let mut p = o.obj("requestParameters");
                p.str("groupId", sg);
                let mut perms = p.obj("ipPermissions");
                let mut items = perms.arr("items");
                let mut it = items.obj();
                it.str("ipProtocol", "tcp")
                    .num("fromPort", port)
                    .num("toPort", port);
                it.obj("groups");
                it.obj("ipRanges")
                    .arr("items")
                    .obj()
                    .str("cidrIp", "0.0.0.0/0");
                it.obj("ipv6Ranges");
                it.obj("prefixListIds");
            }
            if failed {
                o.null("responseElements");
            } else {
                let mut r = o.obj("responseElements");
                r.str_with("requestId", |s| push_uuid(s, rng, 4));
                r.bool("_return", true);
                let mut set = r.obj("securityGroupRuleSet");
                let mut items = set.arr("items");
                let mut it = items.obj();
                it.str("groupOwnerId", a).str("groupId", sg);
                it.str_with("securityGroupRuleId", |s| {
                    s.push_str("sgr-0");
                    push_hex(s, rng, 16)
                });
                it.bool("isEgress", false).str("ipProtocol", "tcp");
                it.num("fromPort", port)
                    .num("toPort", port)
                    .str("cidrIpv4", "0.0.0.0/0");
            }
            Res::None
        }
        Ec2CreateRoute => {
            {
                let mut p = o.obj("requestParameters");
                p.str_with("routeTableId", |s| {
                    s.push_str("rtb-0");
                    push_hex(s, rng, 16)
                });
                p.str("destinationCidrBlock", "0.0.0.0/0");
                p.str_with("gatewayId", |s| {
                    s.push_str("igw-0");
                    push_hex(s, rng, 16)
                });
            }
            ec2_return(o, rng, failed);
            Res::None
        }
        Ec2CreateNetworkAcl => {
            let vpc = rng.pick(&acct.vpcs);
            o.obj("requestParameters").str("vpcId", vpc);
            if failed {
                o.null("responseElements");
            } else {
                let mut r = o.obj("responseElements");
                r.str_with("requestId", |s| push_uuid(s, rng, 4));
                let mut acl = r.obj("networkAcl");
                acl.str_with("networkAclId", |s| {
                    s.push_str("acl-0");
                    push_hex(s, rng, 16)
                });
                acl.str("vpcId", vpc).bool("default", false);
                {
                    let mut entries = acl.obj("entrySet");
                    let mut items = entries.arr("items");
                    for egress in [true, false] {
                        let mut e = items.obj();
                        e.num("ruleNumber", 32767)
                            .str("protocol", "-1")
                            .str("ruleAction", "deny");
                        e.bool("egress", egress).str("cidrBlock", "0.0.0.0/0");
                    }
                }
                acl.obj("associationSet");
                acl.obj("tagSet");
                acl.str("ownerId", a);
            }
            Res::None
        }
        Ec2CreateVpc => {
            let second = rng.range(1, 250);
            let cidr = |s: &mut String| {
                s.push_str("10.");
                push_uint(s, second);
                s.push_str(".0.0/16");
            };
            {
                let mut p = o.obj("requestParameters");
                p.str_with("cidrBlock", cidr);
                p.str("instanceTenancy", "default");
                p.bool("amazonProvidedIpv6CidrBlock", false);
            }
            if failed {
                o.null("responseElements");
            } else {
                let mut r = o.obj("responseElements");
                r.str_with("requestId", |s| push_uuid(s, rng, 4));
                let mut v = r.obj("vpc");
                v.str_with("vpcId", |s| {
                    s.push_str("vpc-0");
                    push_hex(s, rng, 16)
                });
                v.str("state", "pending")
                    .str("ownerId", a)
                    .str_with("cidrBlock", cidr);
                {
                    let mut set = v.obj("cidrBlockAssociationSet");
                    let mut items = set.arr("items");
                    let mut it = items.obj();
                    it.str_with("cidrBlock", cidr);
                    it.str_with("associationId", |s| {
                        s.push_str("vpc-cidr-assoc-0");
                        push_hex(s, rng, 16)
                    });
                    it.obj("cidrBlockState").str("state", "associated");
                }
                v.obj("ipv6CidrBlockAssociationSet");
                v.str_with("dhcpOptionsId", |s| {
                    s.push_str("dopt-0");
                    push_hex(s, rng, 16)
                });
                v.str("instanceTenancy", "default");
                v.obj("tagSet");
                v.bool("isDefault", false);
            }
            Res::None
        }
        Ec2AttachInternetGateway => {
            {
                let mut p = o.obj("requestParameters");
                p.str_with("internetGatewayId", |s| {
                    s.push_str("igw-0");
                    push_hex(s, rng, 16)
                });
                p.str("vpcId", rng.pick_str(&acct.vpcs));
            }
            ec2_return(o, rng, failed);
            Res::None
        }

        // --------------------------------------------------------------- IAM
        IamGetUser => {
            o.obj("requestParameters")
                .str("userName", rng.pick(&acct.users).name);
            o.null("responseElements");
            Res::None
        }
        IamListUsers | IamListRoles | IamGetAccountSummary => {
            o.null("requestParameters");
            o.null("responseElements");
            Res::None
        }
        IamGetRole | IamListAttachedRolePolicies => {
            o.obj("requestParameters")
                .str("roleName", &rng.pick(&acct.roles).name);
            o.null("responseElements");
            Res::None
        }
        IamPutUserPolicy => {
            let user = rng.pick(&acct.users).name;
            {
                let mut p = o.obj("requestParameters");
                p.str("userName", user).str("policyName", "inline-admin");
                // A JSON document inside a string: exercises escaping.
                p.str(
                    "policyDocument",
                    "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": \"*\",\n      \"Resource\": \"*\"\n    }\n  ]\n}",
                );
            }
            o.null("responseElements");
            Res::None
        }
        IamCreateAccessKey => {
            let user = if who.caller == Caller::Root {
                None
            } else {
                Some(rng.pick(&acct.users).name)
            };
            match user {
                Some(u) => {
                    o.obj("requestParameters").str("userName", u);
                }
                None => {
                    o.null("requestParameters");
                }
            }
            if failed {
                o.null("responseElements");
            } else {
                let mut r = o.obj("responseElements");
                let mut k = r.obj("accessKey");
                k.str_with("accessKeyId", |s| {
                    s.push_str("AKIA");
                    push_base32(s, rng, 16)
                });
                k.str("status", "Active");
                if let Some(u) = user {
                    k.str("userName", u);
                }
                k.str_with("createDate", |s| time::push_java(s, t));
            }
            Res::None
        }
        IamAttachRolePolicy => {
            {
                let mut p = o.obj("requestParameters");
                p.str("roleName", &rng.pick(&acct.roles).name);
                p.str(
                    "policyArn",
                    rng.pick_str(&[
                        "arn:aws:iam::aws:policy/AdministratorAccess",
                        "arn:aws:iam::aws:policy/AmazonS3FullAccess",
                        "arn:aws:iam::aws:policy/ReadOnlyAccess",
                    ]),
                );
            }
            o.null("responseElements");
            Res::None
        }
        IamCreateUser => {
            let name = *rng.pick(&["temp-contractor", "break-glass", "svc-backup2", "mallory"]);
            o.obj("requestParameters").str("userName", name);
            if failed {
                o.null("responseElements");
            } else {
                let mut r = o.obj("responseElements");
                let mut u = r.obj("user");
                u.str("path", "/").str("userName", name);
                u.str_with("userId", |s| {
                    s.push_str("AIDA");
                    push_base32(s, rng, 17)
                });
                u.str_with("arn", |s| {
                    push_all(s, &["arn:aws:iam::", a, ":user/", name])
                });
                u.str_with("createDate", |s| time::push_java(s, t));
            }
            Res::None
        }

        // --------------------------------------------------------------- STS
        StsAssumeRole => {
            let role = target_role(acct, who, rng);
            let session: &str = rng.pick_str(&role.sessions);
            {
                let mut p = o.obj("requestParameters");
                p.str_with("roleArn", |s| push_role_arn(s, a, role));
                p.str("roleSessionName", session);
                p.num("durationSeconds", 3600);
                if who.caller == Caller::AwsService {
                    p.str("externalId", a);
                }
            }
            if failed {
                o.null("responseElements");
            } else {
                let mut r = o.obj("responseElements");
                credentials(&mut r, rng, t);
                assumed_role_user(&mut r, a, role, session);
            }
            Res::Role {
                account: a,
                role,
                typed: !rng.per_mille(50),
            }
        }
        StsGetCallerIdentity => {
            o.null("requestParameters");
            o.null("responseElements");
            Res::None
        }
        StsGetSessionToken => {
            o.obj("requestParameters").num("durationSeconds", 43_200);
            if failed {
                o.null("responseElements");
            } else {
                credentials(&mut o.obj("responseElements"), rng, t + 12 * 3600);
            }
            Res::None
        }
        StsGetFederationToken => {
            let name = *rng.pick(&["partner-portal", "reporting-session"]);
            {
                let mut p = o.obj("requestParameters");
                p.str("name", name).num("durationSeconds", 3600);
                p.str(
                    "policy",
                    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}]}",
                );
            }
            if failed {
                o.null("responseElements");
            } else {
                let mut r = o.obj("responseElements");
                credentials(&mut r, rng, t + 3600);
                {
                    let mut f = r.obj("federatedUser");
                    f.str_with("federatedUserId", |s| push_all(s, &[a, ":", name]));
                    f.str_with("arn", |s| {
                        push_all(s, &["arn:aws:sts::", a, ":federated-user/", name])
                    });
                }
                r.num("packedPolicySize", 9);
            }
            Res::None
        }
        StsAssumeRoleWithSaml => {
            let role = who.role.unwrap_or(&acct.roles[0]);
            {
                let mut p = o.obj("requestParameters");
                p.str_with("sAMLAssertionID", |s| {
                    s.push('_');
                    push_hex(s, rng, 32)
                });
                p.str("roleSessionName", who.name);
                p.str_with("principalArn", |s| {
                    push_all(s, &["arn:aws:iam::", a, ":saml-provider/Okta"])
                });
                p.str_with("roleArn", |s| push_role_arn(s, a, role));
                p.num("durationSeconds", 3600);
            }
            if failed {
                o.null("responseElements");
            } else {
                let mut r = o.obj("responseElements");
                credentials(&mut r, rng, t + 3600);
                assumed_role_user(&mut r, a, role, who.name);
                r.num("packedPolicySize", 0);
                r.str("subject", who.name).str("subjectType", "persistent");
                r.str_with("issuer", |s| {
                    s.push_str("http://www.okta.com/exk");
                    push_alnum(s, rng, 17)
                });
                r.str("audience", "https://signin.aws.amazon.com/saml");
                r.str("nameQualifier", who.provider);
            }
            Res::Role {
                account: a,
                role,
                typed: true,
            }
        }
        StsAssumeRoleWithWebIdentity => {
            let role = who.role.unwrap_or(&acct.roles[0]);
            let session: &str = rng.pick_str(&role.sessions);
            {
                let mut p = o.obj("requestParameters");
                p.str_with("roleArn", |s| push_role_arn(s, a, role));
                p.str("roleSessionName", session);
                p.num("durationSeconds", 3600);
            }
            if failed {
                o.null("responseElements");
            } else {
                let mut r = o.obj("responseElements");
                credentials(&mut r, rng, t + 3600);
                r.str("subjectFromWebIdentityToken", who.name);
                assumed_role_user(&mut r, a, role, session);
                if who.provider.starts_with("arn:") {
                    r.str("provider", who.provider);
                } else {
                    r.str_with("provider", |s| {
                        push_all(s, &["arn:aws:iam::", a, ":oidc-provider/", who.provider])
                    });
                }
                r.str("audience", "sts.amazonaws.com");
            }
            Res::Role {
                account: a,
                role,
                typed: true,
            }
        }

        // --------------------------------------------------------------- KMS
        KmsDecrypt | KmsGenerateDataKey | KmsEncrypt => {
            let key = rng.pick(&acct.kms_keys);
            {
                let mut p = o.obj("requestParameters");
                if api != KmsDecrypt || rng.per_mille(300) {
                    p.str_with("keyId", |s| push_kms_arn(s, region, a, key));
                }
                {
                    let mut ec = p.obj("encryptionContext");
                    match (who.invoked_by, who.role.map(|r| r.kind)) {
                        (_, Some(RoleKind::Lambda)) => {
                            let f = *rng.pick(&acct.functions);
                            ec.str_with("aws:lambda:FunctionArn", |s| {
                                push_function_arn(s, region, a, f)
                            });
                        }
                        (Some("secretsmanager.amazonaws.com"), _) => {
                            ec.str_with("SecretARN", |s| {
                                push_all(
                                    s,
                                    &[
                                        "arn:aws:secretsmanager:",
                                        region,
                                        ":",
                                        a,
                                        ":secret:prod/db-",
                                    ],
                                );
                                push_alnum(s, rng, 6);
                            });
                            ec.str("SecretVersionId", "AWSCURRENT");
                        }
                        _ => {
                            let b = rng.pick(&acct.buckets);
                            let k = rng.next_u64();
                            ec.str_with("aws:s3:arn", |s| {
                                push_all(s, &["arn:aws:s3:::", b, "/"]);
                                push_object_key(s, k, t);
                            });
                        }
                    }
                }
                if api == KmsGenerateDataKey {
                    p.str("keySpec", "AES_256");
                } else {
                    p.str("encryptionAlgorithm", "SYMMETRIC_DEFAULT");
                }
            }
            o.null("responseElements");
            Res::Kms(key)
        }
        KmsDescribeKey => {
            let key = rng.pick(&acct.kms_keys);
            o.obj("requestParameters").str(
                "keyId",
                rng.pick_str(&["alias/aws/s3", "alias/app-data", "alias/aws/lambda"]),
            );
            o.null("responseElements");
            Res::Kms(key)
        }
        KmsListAliases => {
            o.null("requestParameters");
            o.null("responseElements");
            Res::None
        }
        KmsDisableKey => {
            let key = rng.pick(&acct.kms_keys);
            o.obj("requestParameters").str("keyId", key);
            o.null("responseElements");
            Res::Kms(key)
        }
        KmsScheduleKeyDeletion => {
            let key = rng.pick(&acct.kms_keys);
            {
                let mut p = o.obj("requestParameters");
                p.str("keyId", key).num("pendingWindowInDays", 7);
            }
            if failed {
                o.null("responseElements");
            } else {
                let mut r = o.obj("responseElements");
                r.str_with("keyId", |s| push_kms_arn(s, region, a, key));
                r.str_with("deletionDate", |s| {
                    time::push_java(s, (t / 86_400 + 8) * 86_400)
                });
                r.str("keyState", "PendingDeletion")
                    .num("pendingWindowInDays", 7);
            }
            Res::Kms(key)
        }
        KmsRotateKey => {
            let key = rng.pick(&acct.kms_keys);
            o.null("requestParameters");
            o.null("responseElements");
            o.obj("additionalEventData").str("keyId", key);
            Res::Kms(key)
        }

        // -------------------------------------------------------- CloudTrail
        CtLookupEvents => {
            {
                let mut p = o.obj("requestParameters");
                p.num("maxResults", 50);
                if rng.per_mille(500) {
                    let mut la = p.arr("lookupAttributes");
                    let mut at = la.obj();
                    at.str("attributeKey", "EventName");
                    at.str(
                        "attributeValue",
                        rng.pick_str(&["ConsoleLogin", "RunInstances", "AssumeRole"]),
                    );
                } else {
                    p.str_with("startTime", |s| time::push_java(s, t - 86_400));
                    p.str_with("endTime", |s| time::push_java(s, t));
                }
            }
            o.null("responseElements");
            Res::None
        }
        CtDescribeTrails => {
            o.obj("requestParameters").bool("includeShadowTrails", true);
            o.null("responseElements");
            Res::None
        }
        CtGetTrailStatus | CtStopLogging => {
            o.obj("requestParameters")
                .str_with("name", |s| push_trail_arn(s, ctx));
            o.null("responseElements");
            if api == CtStopLogging {
                Res::Trail
            } else {
                Res::None
            }
        }
        CtPutEventSelectors => {
            fn selectors(p: &mut Obj) {
                let mut sel = p.arr("eventSelectors");
                let mut e = sel.obj();
                e.str("readWriteType", "WriteOnly")
                    .bool("includeManagementEvents", true);
                e.arr("dataResources");
                e.arr("excludeManagementEventSources")
                    .str("kms.amazonaws.com");
            }
            {
                let mut p = o.obj("requestParameters");
                p.str("trailName", acct.trail_name);
                selectors(&mut p);
            }
            if failed {
                o.null("responseElements");
            } else {
                let mut r = o.obj("responseElements");
                r.str_with("trailARN", |s| push_trail_arn(s, ctx));
                selectors(&mut r);
            }
            Res::Trail
        }

        // ------------------------------------------------------------ Sign-in
        ConsoleLogin => {
            o.null("requestParameters");
            o.obj("responseElements")
                .str("ConsoleLogin", if failed { "Failure" } else { "Success" });
            let mut d = o.obj("additionalEventData");
            if who.caller != Caller::AssumedRole {
                d.str_with("LoginTo", |s| {
                    s.push_str("https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&state=hashArgsFromTB_");
                    s.push_str(region);
                    s.push('_');
                    push_hex(s, rng, 16);
                });
            }
            d.str("MobileVersion", "No");
            let mfa = !failed && who.mfa;
            if mfa && let Some(u) = who.user {
                d.str_with("MFAIdentifier", |s| {
                    push_all(s, &["arn:aws:iam::", a, ":mfa/", u.name])
                });
            }
            d.str("MFAUsed", if mfa { "Yes" } else { "No" });
            Res::None
        }

        // ------------------------------------------------------------- Lambda
        LambdaListFunctions => {
            o.null("requestParameters");
            o.null("responseElements");
            Res::None
        }
        LambdaGetFunction => {
            o.obj("requestParameters")
                .str("functionName", rng.pick_str(&acct.functions));
            o.null("responseElements");
            Res::None
        }
        LambdaInvoke => {
            let f: &str = rng.pick_str(&acct.functions);
            {
                let mut p = o.obj("requestParameters");
                p.str_with("functionName", |s| push_function_arn(s, region, a, f));
                if rng.per_mille(400) {
                    p.str("invocationType", "Event");
                }
            }
            o.null("responseElements");
            o.obj("additionalEventData")
                .str_with("functionVersion", |s| {
                    push_function_arn(s, region, a, f);
                    s.push_str(":$LATEST");
                });
            Res::Lambda(f)
        }
        LambdaUpdateFunctionCode => {
            let f: &str = rng.pick_str(&acct.functions);
            {
                let mut p = o.obj("requestParameters");
                p.str("functionName", f)
                    .bool("publish", false)
                    .bool("dryRun", false);
            }
            if failed {
                o.null("responseElements");
            } else {
                let mut r = o.obj("responseElements");
                r.str("functionName", f);
                r.str_with("functionArn", |s| push_function_arn(s, region, a, f));
                r.str("runtime", "python3.12");
                r.str_with("role", |s| {
                    push_all(s, &["arn:aws:iam::", a, ":role/", f, "-role"])
                });
                r.str("handler", "app.handler")
                    .num("codeSize", rng.range(2_000, 9_000_000));
                r.num("timeout", 30).num("memorySize", 256);
                r.str_with("lastModified", |s| {
                    time::push_iso(s, t);
                    s.truncate(s.len() - 1);
                    s.push_str(".000+0000");
                });
                r.str_with("codeSha256", |s| {
                    push_base64(s, rng, 43);
                    s.push('=');
                });
                r.str("version", "$LATEST")
                    .str("state", "Active")
                    .str("lastUpdateStatus", "InProgress");
            }
            Res::None
        }

        // --------------------------------------------------------------- Logs
        LogsCreateLogStream | LogsCreateLogGroup => {
            let f = *rng.pick(&acct.functions);
            {
                let mut p = o.obj("requestParameters");
                p.str_with("logGroupName", |s| push_all(s, &["/aws/lambda/", f]));
                if api == LogsCreateLogStream {
                    p.str_with("logStreamName", |s| {
                        time::push_date_path(s, t);
                        s.push_str("/[$LATEST]");
                        push_hex(s, rng, 32);
                    });
                }
            }
            o.null("responseElements");
            Res::None
        }
        LogsDescribeLogGroups => {
            o.obj("requestParameters")
                .str("logGroupNamePrefix", "/aws/lambda/");
            o.null("responseElements");
            Res::None
        }
        LogsFilterLogEvents => {
            let f = *rng.pick(&acct.functions);
            {
                let mut p = o.obj("requestParameters");
                p.str_with("logGroupName", |s| push_all(s, &["/aws/lambda/", f]));
                p.num("startTime", ((t - 3600) as u64) * 1000);
                p.str("filterPattern", "ERROR").bool("interleaved", true);
            }
            o.null("responseElements");
            Res::None
        }

        // ------------------------------------------------------------- Config
        ConfigPutEvaluations => {
            {
                let mut p = o.obj("requestParameters");
                {
                    let mut ev = p.arr("evaluations");
                    let mut e = ev.obj();
                    e.str("complianceResourceType", "AWS::S3::Bucket");
                    e.str("complianceResourceId", rng.pick_str(&acct.buckets));
                    e.str(
                        "complianceType",
                        if rng.per_mille(850) {
                            "COMPLIANT"
                        } else {
                            "NON_COMPLIANT"
                        },
                    );
                    e.str_with("orderingTimestamp", |s| time::push_java(s, t - 60));
                }
                p.str_with("resultToken", |s| push_base64(s, rng, 64));
                p.bool("testMode", false);
            }
            if failed {
                o.null("responseElements");
            } else {
                o.obj("responseElements").arr("failedEvaluations");
            }
            Res::None
        }
        ConfigDescribeConfigRules | ConfigDescribeConfigurationRecorders => {
            o.null("requestParameters");
            o.null("responseElements");
            Res::None
        }
        ConfigStopConfigurationRecorder => {
            o.obj("requestParameters")
                .str("configurationRecorderName", "default");
            o.null("responseElements");
            Res::None
        }

        // ----------------------------------------------------------- GuardDuty
        GdListDetectors => {
            o.null("requestParameters");
            o.null("responseElements");
            Res::None
        }
        GdGetFindings => {
            {
                let mut p = o.obj("requestParameters");
                p.str("detectorId", &acct.detector_id);
                p.arr("findingIds").str_with(|s| push_hex(s, rng, 32));
            }
            o.null("responseElements");
            Res::None
        }
        GdListFindings => {
            {
                let mut p = o.obj("requestParameters");
                p.str("detectorId", &acct.detector_id);
                p.obj("findingCriteria")
                    .obj("criterion")
                    .obj("service.archived")
                    .arr("eq")
                    .str("false");
                p.num("maxResults", 50);
            }
            o.null("responseElements");
            Res::None
        }
        GdDeleteDetector => {
            o.obj("requestParameters")
                .str("detectorId", &acct.detector_id);
            o.null("responseElements");
            Res::None
        }

        // ------------------------------------------------------- Organizations
        OrgDescribeOrganization | OrgListAccounts => {
            o.null("requestParameters");
            o.null("responseElements");
            Res::None
        }
        OrgDescribeAccount => {
            let other = ctx.world.other_account(acct, rng);
            o.obj("requestParameters").str("accountId", other);
            o.null("responseElements");
            Res::None
        }

        // ---------------------------------------------------- Identity Center
        SsoGetRoleCredentials => {
            {
                let mut p = o.obj("requestParameters");
                p.str(
                    "roleName",
                    rng.pick_str(&["AdministratorAccess", "ReadOnlyAccess"]),
                );
                p.str("accountId", a);
            }
            o.null("responseElements");
            Res::None
        }
        SsoListAccounts => {
            o.null("requestParameters");
            o.null("responseElements");
            Res::None
        }
        SsoListAccountRoles => {
            o.obj("requestParameters").str("accountId", a);
            o.null("responseElements");
            Res::None
        }

        BackupJobCompleted => {
            o.null("requestParameters");
            o.null("responseElements");
            Res::None
        }
        Insight => unreachable!("insights are written by write_insight"),
    }
}

fn s3_bucket_params(p: &mut Obj, bucket: &str, region: &str) {
    p.str("bucketName", bucket);
    p.str_with("Host", |s| {
        push_all(s, &[bucket, ".s3.", region, ".amazonaws.com"])
    });
}

fn s3_additional(o: &mut Obj, rng: &mut Rng, bytes_in: u64, bytes_out: u64) {
    let mut d = o.obj("additionalEventData");
    d.str("SignatureVersion", "SigV4");
    d.str(
        "CipherSuite",
        if rng.per_mille(700) {
            "TLS_AES_128_GCM_SHA256"
        } else {
            "ECDHE-RSA-AES128-GCM-SHA256"
        },
    );
    d.num("bytesTransferredIn", bytes_in);
    d.str("AuthenticationMethod", "AuthHeader");
    d.str_with("x-amz-id-2", |s| {
        push_base64(s, rng, 75);
        s.push('=');
    });
    d.num("bytesTransferredOut", bytes_out);
}

/// A plausible object key, rebuilt identically from the same seed (the key
/// appears in `requestParameters` and again in `resources`).
fn push_object_key(s: &mut String, k: u64, t: i64) {
    const PREFIXES: &[&str] = &[
        "data/raw/events/",
        "exports/daily/",
        "uploads/images/",
        "logs/app/",
        "reports/finance/",
        "athena/results/",
    ];
    const EXTS: &[&str] = &[
        ".parquet",
        ".json.gz",
        ".jpg",
        ".log.gz",
        ".csv",
        ".csv.metadata",
    ];
    let i = (k % PREFIXES.len() as u64) as usize;
    s.push_str(PREFIXES[i]);
    time::push_date_path(s, t - ((k >> 8) % 4) as i64 * 86_400);
    s.push_str("/part-");
    let n = (k >> 16) % 100_000;
    for d in [10_000, 1000, 100, 10, 1] {
        s.push((b'0' + (n / d % 10) as u8) as char);
    }
    s.push_str(EXTS[i]);
}

fn push_ami(s: &mut String, seed: u64) {
    const HEX: &[u8] = b"0123456789abcdef";
    s.push_str("ami-0");
    for i in 0..16 {
        s.push(HEX[((seed >> (i * 4)) & 15) as usize] as char);
    }
}

fn push_kms_arn(s: &mut String, region: &str, account: &str, key: &str) {
    push_all(s, &["arn:aws:kms:", region, ":", account, ":key/", key]);
}

fn push_function_arn(s: &mut String, region: &str, account: &str, f: &str) {
    push_all(
        s,
        &["arn:aws:lambda:", region, ":", account, ":function:", f],
    );
}

fn push_trail_arn(s: &mut String, ctx: &EventCtx) {
    let home = &ctx.world.home_region;
    push_all(
        s,
        &[
            "arn:aws:cloudtrail:",
            home,
            ":",
            &ctx.account.id,
            ":trail/",
            ctx.account.trail_name,
        ],
    );
}

fn state(o: &mut Obj, key: &str, code: u64, name: &str) {
    o.obj(key).num("code", code).str("name", name);
}

fn ec2_return(o: &mut Obj, rng: &mut Rng, failed: bool) {
    if failed {
        o.null("responseElements");
    } else {
        let mut r = o.obj("responseElements");
        r.str_with("requestId", |s| push_uuid(s, rng, 4));
        r.bool("_return", true);
    }
}

fn credentials(r: &mut Obj, rng: &mut Rng, expires: i64) {
    let mut c = r.obj("credentials");
    c.str_with("accessKeyId", |s| {
        s.push_str("ASIA");
        push_base32(s, rng, 16);
    });
    c.str_with("sessionToken", |s| {
        s.push_str("IQoJb3JpZ2luX2Vj");
        push_base64(s, rng, 120);
    });
    c.str_with("expiration", |s| time::push_java(s, expires));
}

fn assumed_role_user(r: &mut Obj, account: &str, role: &Role, session: &str) {
    let mut u = r.obj("assumedRoleUser");
    u.str_with("assumedRoleId", |s| push_all(s, &[&role.id, ":", session]));
    u.str_with("arn", |s| {
        push_all(
            s,
            &[
                "arn:aws:sts::",
                account,
                ":assumed-role/",
                &role.name,
                "/",
                session,
            ],
        )
    });
}

/// The role an `AssumeRole` call asks for: services assume their own roles.
fn target_role<'a>(acct: &'a crate::world::Account, who: &Who, rng: &mut Rng) -> &'a Role {
    let kind = match who.invoked_by {
        Some("lambda.amazonaws.com") => Some(RoleKind::Lambda),
        Some("ec2.amazonaws.com") => Some(RoleKind::Ec2),
        Some("config.amazonaws.com") => Some(RoleKind::Config),
        Some("ecs-tasks.amazonaws.com") => Some(RoleKind::Ecs),
        _ if who.caller == Caller::AwsService => None,
        _ => Some(if rng.per_mille(500) {
            RoleKind::Admin
        } else {
            RoleKind::Ci
        }),
    };
    if let Some(k) = kind {
        let n = acct.roles_of(k).count() as u64;
        if n > 0 {
            return acct
                .roles_of(k)
                .nth(rng.below(n) as usize)
                .expect("counted");
        }
    }
    rng.pick(&acct.roles)
}

pub fn write_resources(o: &mut Obj, ctx: &EventCtx, res: &Res) {
    let a: &str = &ctx.account.id;
    let region = ctx.region;
    let one = |o: &mut Obj, kind: Option<&str>, arn: &dyn Fn(&mut String)| {
        let mut list = o.arr("resources");
        let mut r = list.obj();
        r.str("accountId", a);
        if let Some(k) = kind {
            r.str("type", k);
        }
        r.str_with("ARN", arn);
    };
    match *res {
        Res::None => {}
        Res::Bucket(b) => one(o, Some("AWS::S3::Bucket"), &|s| {
            push_all(s, &["arn:aws:s3:::", b])
        }),
        Res::Object(b, k) => {
            let mut list = o.arr("resources");
            {
                let mut r = list.obj();
                r.str("type", "AWS::S3::Object");
                r.str_with("ARN", |s| {
                    push_all(s, &["arn:aws:s3:::", b, "/"]);
                    push_object_key(s, k, ctx.time);
                });
            }
            let mut r = list.obj();
            r.str("accountId", a).str("type", "AWS::S3::Bucket");
            r.str_with("ARN", |s| push_all(s, &["arn:aws:s3:::", b]));
        }
        Res::Kms(key) => one(o, Some("AWS::KMS::Key"), &|s| {
            push_kms_arn(s, region, a, key)
        }),
        Res::Role {
            account,
            role,
            typed,
        } => {
            let mut list = o.arr("resources");
            let mut r = list.obj();
            r.str("accountId", account);
            // Now and then a resource without a type, as older records have.
            if typed {
                r.str("type", "AWS::IAM::Role");
            }
            r.str_with("ARN", |s| push_role_arn(s, account, role));
        }
        Res::Lambda(f) => one(o, Some("AWS::Lambda::Function"), &|s| {
            push_function_arn(s, region, a, f)
        }),
        Res::Trail => one(o, Some("AWS::CloudTrail::Trail"), &|s| {
            push_trail_arn(s, ctx)
        }),
    }
}

pub fn write_service_event_details(o: &mut Obj, rng: &mut Rng, ctx: &EventCtx, api: Api) {
    if api != BackupJobCompleted {
        return;
    }
    let (a, region, t) = (&ctx.account.id, ctx.region, ctx.time);
    let mut d = o.obj("serviceEventDetails");
    d.str_with("backupJobId", |s| push_uuid(s, rng, 4));
    d.str("backupVaultName", "Default");
    d.str_with("backupVaultArn", |s| {
        push_all(
            s,
            &["arn:aws:backup:", region, ":", a, ":backup-vault:Default"],
        )
    });
    d.str_with("recoveryPointArn", |s| {
        push_all(s, &["arn:aws:ec2:", region, "::snapshot/snap-0"]);
        push_hex(s, rng, 16);
    });
    d.str_with("resourceArn", |s| {
        push_all(s, &["arn:aws:ec2:", region, ":", a, ":volume/vol-0"]);
        push_hex(s, rng, 16);
    });
    d.str_with("creationDate", |s| time::push_java(s, t - 1800));
    d.str_with("completionDate", |s| time::push_java(s, t));
    d.str("state", "COMPLETED")
        .num("backupSizeInBytes", rng.range(1 << 20, 1 << 34));
    d.str("resourceType", "EBS").str("percentDone", "100.0");
}

/// A CloudTrail Insights record: no identity, no event name, the details
/// under `insightDetails`, `eventCategory: Insight`.
pub fn write_insight(rng: &mut Rng, ctx: &EventCtx, out: &mut String) {
    let (source, name) = *rng.pick(&[
        ("ec2.amazonaws.com", "RunInstances"),
        ("iam.amazonaws.com", "ListRoles"),
        ("s3.amazonaws.com", "PutBucketPolicy"),
        ("kms.amazonaws.com", "Decrypt"),
        ("sts.amazonaws.com", "AssumeRole"),
    ]);
    let error_insight = rng.per_mille(300);
    let start = rng.per_mille(500);
    let mut o = Obj::open(out);
    o.str("eventVersion", "1.08");
    o.str_with("eventTime", |s| time::push_iso(s, ctx.time));
    o.str("awsRegion", ctx.region);
    o.str_with("eventID", |s| push_uuid(s, rng, 4));
    o.str("eventType", "AwsCloudTrailInsight");
    o.str("recipientAccountId", &ctx.account.id);
    o.str_with("sharedEventID", |s| push_uuid(s, rng, 4));
    {
        let mut d = o.obj("insightDetails");
        d.str("state", if start { "Start" } else { "End" });
        d.str("eventSource", source).str("eventName", name);
        d.str(
            "insightType",
            if error_insight {
                "ApiErrorRateInsight"
            } else {
                "ApiCallRateInsight"
            },
        );
        if error_insight {
            d.str("errorCode", "AccessDenied");
        }
        let mut c = d.obj("insightContext");
        let baseline = rng.range(1, 9_000);
        let insight = rng.range(20_000, 900_000);
        {
            let mut st = c.obj("statistics");
            st.obj("baseline").raw("average", &fixed(baseline));
            st.obj("insight").raw("average", &fixed(insight));
            if !start {
                st.num("insightDuration", rng.range(1, 60));
            }
            st.num("baselineDuration", rng.range(1_000, 12_000));
        }
        let role = rng.pick(&ctx.account.roles);
        let mut attrs = c.arr("attributions");
        {
            let mut at = attrs.obj();
            at.str("attribute", "userIdentityArn");
            at.arr("insight")
                .obj()
                .str_with("value", |s| {
                    push_all(
                        s,
                        &[
                            "arn:aws:sts::",
                            &ctx.account.id,
                            ":assumed-role/",
                            &role.name,
                        ],
                    )
                })
                .raw("average", &fixed(insight));
            at.arr("baseline");
        }
        {
            let mut at = attrs.obj();
            at.str("attribute", "userAgent");
            let mut ins = at.arr("insight");
            ins.obj()
                .str("value", "aws-cli/2.22.4")
                .raw("average", &fixed(insight));
            drop(ins);
            at.arr("baseline")
                .obj()
                .str("value", "aws-cli/2.22.4")
                .raw("average", &fixed(baseline));
        }
        {
            let mut at = attrs.obj();
            at.str("attribute", "errorCode");
            let code = if error_insight {
                "AccessDenied"
            } else {
                "null"
            };
            at.arr("insight")
                .obj()
                .str("value", code)
                .raw("average", &fixed(insight));
            at.arr("baseline")
                .obj()
                .str("value", code)
                .raw("average", &fixed(baseline));
        }
    }
    o.str("eventCategory", "Insight");
}

/// `n / 100000` with five decimals, without floats (stable text across platforms).
fn fixed(n: u64) -> String {
    let mut s = String::with_capacity(12);
    push_uint(&mut s, n / 100_000);
    s.push('.');
    let frac = n % 100_000;
    for d in [10_000, 1000, 100, 10, 1] {
        s.push((b'0' + (frac / d % 10) as u8) as char);
    }
    s
}
