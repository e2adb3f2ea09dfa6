import { type CreditReport, discloseIdentity } from '@credit/schema';

/**
 * The subject as anyone holding the report may see it named on its pages and by the public
 * verification: the platform's one disclosure rule for the public reader (a person minimally,
 * 张* 370***********123X; an organisation's registration under 双公示 as it is).
 */
export function subjectLabel(subject: CreditReport['subject']): string {
  const shown = discloseIdentity({ as: 'public' }, 'subject', subject.kind, subject);
  return [shown.name, shown.id].filter((part) => part.length > 0).join(' ');
}
