/**
 * The organisations the name-search bench looks for, and the queries it looks for them with.
 * Names are made as Chinese registered names are: a region (山东省淄博市, 淄博, 济南…), a trade
 * name of two or three characters, an industry word and a legal form, each organisation's core
 * (trade name + industry) its own; one in ten has a former name (曾用名). Persons with names of
 * the same characters are made too and pass through the name consumer's own row builder, which
 * indexes no person. The queries are what people type: typos, another or no legal form,
 * full-width dress, traditional characters, the region dropped, a branch, a former name.
 */
import { type RecordEvent, seededRandom } from '@credit/schema';
import { Converter } from 'opencc-js/cn2t';
import { organisationNameRowOf } from '../services/query/src/consumers/organisation-names.ts';
import { benchUscc } from './world.ts';

type NameRow = NonNullable<ReturnType<typeof organisationNameRowOf>>;

const tradeCharacters = [
  ...'华润恒通瑞祥金岭齐盛鲁中顺达宏远德盛泰安康宁鸿运兴隆永昌嘉禾信诚联创天成盛世东方新源海丰长城远航中联凯旋光明合力华瑞亿达鼎盛宝丰利民福星博文致远汇通九州万家富源佳和明珠银河三友宏图卓越腾飞锦绣皓月旭日星辰青松翠柏春秋晨曦朝阳丽景恒昌祥和瑞丰洪泽大通金鼎荣华昊天宇航振兴凤凰麒麟正大立信同心众诚裕丰国泰民安玉龙君安德华元亨华宇泓信和美安泰',
].filter((c, i, all) => all.indexOf(c) === i);
/** Characters people mistype trade names with (homophones, near shapes), outside the trade alphabet. */
const typoCharacters = [...'闰洰桐翔晶伶琪晟陆锺舜沓鸿纭慷柠鸣运星圣悦佰瓴蓉璟婕溱韵弘圳骏霖苓'].filter(
  (c) => !tradeCharacters.includes(c),
);
const industries = [
  '陶瓷',
  '化工',
  '物流',
  '电子科技',
  '建材',
  '机械制造',
  '纺织',
  '食品',
  '医药',
  '塑料制品',
  '纸业',
  '新材料',
  '环保科技',
  '商贸',
  '建筑工程',
  '农业发展',
  '信息技术',
  '汽车销售',
  '房地产开发',
  '餐饮管理',
  '电力设备',
  '服装',
  '家具',
  '包装',
  '钢铁',
  '印刷',
  '能源',
  '生物科技',
  '文化传媒',
  '酒店管理',
];
const regions = [
  '淄博',
  '淄博市',
  '山东省淄博市',
  '济南',
  '青岛',
  '烟台',
  '潍坊',
  '临沂',
  '济宁',
  '泰安',
  '威海',
  '日照',
  '德州',
  '聊城',
  '滨州',
  '菏泽',
  '枣庄',
  '东营',
];
const legalForms = ['有限公司', '有限责任公司', '股份有限公司'];
const branches = ['张店分公司', '高新区分公司', '淄川分公司', '博山分公司', '济南分公司', '第一分公司'];
const surnames = [...'王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗'];

export interface NamedOrganisation {
  index: number;
  id: string;
  region: string;
  trade: string;
  industry: string;
  legalForm: string;
  name: string;
  formerName: string | null;
}

export interface NamedPerson {
  name: string;
}

function pick<T>(random: () => number, from: readonly T[]): T {
  return from[Math.floor(random() * from.length)] as T;
}

/** `count` organisations with cores of their own, and `persons` persons named like trade names. */
export function nameWorld(count: number, persons: number, seed = 18) {
  const random = seededRandom(seed);
  const cores = new Set<string>();
  const core = () => {
    for (;;) {
      const length = random() < 0.3 ? 2 : 3;
      const trade = Array.from({ length }, () => pick(random, tradeCharacters)).join('');
      const industry = pick(random, industries);
      if (cores.has(trade + industry)) continue;
      cores.add(trade + industry);
      return { trade, industry };
    }
  };
  const organisations: NamedOrganisation[] = [];
  for (let index = 0; index < count; index++) {
    const { trade, industry } = core();
    const region = pick(random, regions);
    const legalForm = pick(random, legalForms);
    const former = random() < 0.1 ? core() : null;
    organisations.push({
      index,
      id: benchUscc(index, '370304'),
      region,
      trade,
      industry,
      legalForm,
      name: `${region}${trade}${industry}${legalForm}`,
      formerName: former ? `${region}${former.trade}${former.industry}${legalForm}` : null,
    });
  }
  const people: NamedPerson[] = Array.from({ length: persons }, () => ({
    name: `${pick(random, surnames)}${pick(random, tradeCharacters)}${pick(random, tradeCharacters)}`,
  }));
  return { organisations, persons: people };
}

/**
 * The rows the name consumer builds for a registration carrying `name`: the record event's
 * fields the builder reads, with the name and code as their own "ciphertext" (the bench has
 * no need to encrypt what it reads back at once).
 */
export function nameRowOf(
  subject: { id: string; kind: 'legal_person' | 'natural_person'; key: string },
  name: string,
  receivedAt: Date,
): NameRow | null {
  const event = {
    subject: {
      key: subject.key,
      kind: subject.kind,
      keyId: 'bench',
      nameCipher: Buffer.from(name).toString('base64'),
      identifierCipher: Buffer.from(subject.id).toString('base64'),
    },
    receivedAt: receivedAt.toISOString(),
    origin: 'pushed',
    status: 'active',
    category: subject.kind === 'natural_person' ? 'person_identity' : 'org_registration',
  };
  // Only the fields organisationNameRowOf reads are filled in: the rest of a record event is
  // content the name index never looks at.
  return organisationNameRowOf(event as unknown as RecordEvent, (cipher) => cipher.toString('utf8'));
}

export type VariantKind =
  | 'one-character typo'
  | 'two-character typo'
  | 'no legal form'
  | 'another legal form'
  | 'full-width dress'
  | 'traditional characters'
  | 'region dropped'
  | 'branch name'
  | 'former name';

export interface Variant {
  kind: VariantKind;
  query: string;
  expected: string;
}

const toTraditional = Converter({ from: 'cn', to: 'tw' });

/**
 * A name with `slips` characters mistyped: the first in the trade name, the second in the
 * industry word, as a clerk copying a name slips (never the whole trade name, which would leave
 * nothing of the organisation to find).
 */
function typo(random: () => number, organisation: NamedOrganisation, slips: number): string {
  const trade = [...organisation.trade];
  trade[Math.floor(random() * trade.length)] = pick(random, typoCharacters);
  const industry = [...organisation.industry];
  if (slips > 1) industry[Math.floor(random() * industry.length)] = pick(random, typoCharacters);
  return `${organisation.region}${trade.join('')}${industry.join('')}${organisation.legalForm}`;
}

/** Every kind of query for each of the sampled organisations (a former name where it has one). */
export function variantsOf(sample: readonly NamedOrganisation[], seed = 19): Variant[] {
  const random = seededRandom(seed);
  const variants: Variant[] = [];
  for (const o of sample) {
    const add = (kind: VariantKind, query: string) => variants.push({ kind, query, expected: o.id });
    const plainRegion = o.region.replace(/^山东省/, '').replace(/市$/, '');
    add('one-character typo', typo(random, o, 1));
    add('two-character typo', typo(random, o, 2));
    add('no legal form', `${o.region}${o.trade}${o.industry}`);
    add(
      'another legal form',
      `${o.region}${o.trade}${o.industry}${pick(
        random,
        legalForms.filter((f) => f !== o.legalForm),
      )}`,
    );
    add('full-width dress', `${o.trade}${o.industry}（${plainRegion}）　${o.legalForm}`);
    add('traditional characters', toTraditional(o.name));
    add('region dropped', `${o.trade}${o.industry}${o.legalForm}`);
    add('branch name', `${o.name}${pick(random, branches)}`);
    if (o.formerName) add('former name', o.formerName);
  }
  return variants;
}
