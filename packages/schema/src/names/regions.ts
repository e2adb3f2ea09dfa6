/**
 * Administrative-region names that open organisation names (山东省淄博市…, 淄博…): provinces and
 * autonomous regions, the prefecture-level cities of Shandong and the provincial capitals and
 * other large cities, and Zibo's districts and counties (the seeds' region). A name is matched
 * with or without its level word (省, 市, 区, 县, 自治区 …), so 淄博 and 淄博市 are one region.
 * The list is deliberately finite: an unlisted region stays part of the name and costs only
 * ranking, while a guessed one could swallow a trade name.
 */
export const regionNames: readonly string[] = [
  // Provinces, autonomous regions, municipalities and special administrative regions
  '北京',
  '天津',
  '上海',
  '重庆',
  '河北',
  '山西',
  '辽宁',
  '吉林',
  '黑龙江',
  '江苏',
  '浙江',
  '安徽',
  '福建',
  '江西',
  '山东',
  '河南',
  '湖北',
  '湖南',
  '广东',
  '海南',
  '四川',
  '贵州',
  '云南',
  '陕西',
  '甘肃',
  '青海',
  '台湾',
  '内蒙古',
  '广西',
  '西藏',
  '宁夏',
  '新疆',
  '香港',
  '澳门',
  // Shandong's prefecture-level cities
  '济南',
  '青岛',
  '淄博',
  '枣庄',
  '东营',
  '烟台',
  '潍坊',
  '济宁',
  '泰安',
  '威海',
  '日照',
  '临沂',
  '德州',
  '聊城',
  '滨州',
  '菏泽',
  // Provincial capitals and other large cities
  '石家庄',
  '太原',
  '沈阳',
  '大连',
  '长春',
  '哈尔滨',
  '南京',
  '苏州',
  '无锡',
  '杭州',
  '宁波',
  '合肥',
  '福州',
  '厦门',
  '南昌',
  '郑州',
  '武汉',
  '长沙',
  '广州',
  '深圳',
  '海口',
  '成都',
  '贵阳',
  '昆明',
  '西安',
  '兰州',
  '西宁',
  '呼和浩特',
  '南宁',
  '拉萨',
  '银川',
  '乌鲁木齐',
];

/**
 * Zibo's districts and counties: recognised only with their level word (张店区, 桓台县), since
 * bare they are common trade names (淄博博山化工).
 */
export const districtNames: readonly string[] = [
  '张店',
  '淄川',
  '博山',
  '临淄',
  '周村',
  '桓台',
  '高青',
  '沂源',
];

/** The level words a region name may carry, longest first. */
export const regionLevelWords: readonly string[] = [
  '维吾尔自治区',
  '壮族自治区',
  '回族自治区',
  '特别行政区',
  '自治区',
  '自治州',
  '省',
  '市',
  '区',
  '县',
];
