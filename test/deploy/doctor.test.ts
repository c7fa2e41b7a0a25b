/**
 * The doctor schedule (terraform/doctor.tf, docs/deploy.md "The drift schedule"): a Cloud Run job runs `egress doctor
 * --live --report-status` as the applier's service account (testIamPermissions answers for the caller) on the drift
 * schedule, with read-only grants for what doctor reads beside the firewall.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the expected values are Terraform interpolations
import { join } from 'node:path';
import { allRoles, loadTerraform, nested, PARSE_TIMEOUT_MS, resource, type TerraformDoc } from './hcl';

const TF_DIR = join(__dirname, '..', '..', 'terraform');
let tf: TerraformDoc;
beforeAll(async () => {
  tf = await loadTerraform(TF_DIR);
}, PARSE_TIMEOUT_MS);

test('the doctor job runs `egress doctor --live --report-status` as the applier, with the drift environment', () => {
  const job = resource(tf, 'google_cloud_run_v2_job', 'doctor');
  const template = nested(job, 'template', 'template');
  expect(template.service_account).toBe('${google_service_account.applier.email}');
  const container = nested(template, 'containers');
  expect((container.args as string[]).join(' ')).toBe('bin/egress.js doctor --live --report-status');
  expect(nested(container, 'dynamic', 'env').for_each).toBe('${local.drift_env}');
  const scheduler = resource(tf, 'google_cloud_scheduler_job', 'doctor');
  expect(scheduler.schedule).toBe('${var.drift_schedule}');
  expect(nested(scheduler, 'http_target').uri).toContain('${google_cloud_run_v2_job.doctor.id}:run');
  expect(resource(tf, 'google_cloud_run_v2_job_iam_member', 'scheduler_runs_doctor').member).toBe(
    '${google_service_account.scheduler.member}',
  );
});

test("doctor's extra grants to the applier are read-only: network reads, DNS reader, quotas viewer, bucket viewer", () => {
  expect(resource(tf, 'google_project_iam_custom_role', 'network_reader').permissions).toEqual([
    'compute.firewalls.list',
    'compute.networks.get',
    'compute.networks.getEffectiveFirewalls',
  ]);
  const applierRoles = allRoles(tf)
    .filter((r) => r.where.includes('doctor_'))
    .map((r) => r.role)
    .sort();
  expect(applierRoles).toEqual([
    '${google_project_iam_custom_role.network_reader.id}',
    'roles/cloudquotas.viewer',
    'roles/dns.reader',
  ]);
  // The bucket viewer doctor lists the manifests with is the applier's own grant (it reads live generations).
  expect(resource(tf, 'google_storage_bucket_iam_member', 'applier_reads_manifests')).toMatchObject({
    role: 'roles/storage.objectViewer',
    member: '${google_service_account.applier.member}',
  });
});
